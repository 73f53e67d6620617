"""agentops: run a team of autonomous development agents on GitHub."""

__version__ = "0.1.0"

# The name on PyPI (`pipx install agentops-gh`). The bare name `agentops` belongs to an unrelated
# project there; the command and the import package stay `agentops`.
DIST_NAME = "agentops-gh"
