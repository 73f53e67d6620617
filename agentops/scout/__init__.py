"""Repo scout's parts: compact snapshots of what GitHub said (snapshot), conditional
fetching (fetch) and one small module per check (checks/)."""
