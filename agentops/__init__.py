"""agentops: run a team of autonomous development agents on GitHub."""

__version__ = "0.1.0"
