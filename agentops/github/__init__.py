"""The GitHub port. Commands depend on `GitHubPort` (port.py) and the models (models.py);
only adapter.py and auth.py import PyGithub, and
nothing imports them until a command connects."""
