"""The GitHub port. Commands depend on `GitHubPort` (port.py) and the models (models.py);
only adapter.py imports PyGithub, lazily."""
