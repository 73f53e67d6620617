"""The queue as a service: sync, readiness, routing, claims and leases, release, budget.

Shared by the commands (tasks, plan, claim, release, tick, work, code) and the event router;
commands stay thin and call in here instead of importing each other's helpers.
"""
