"""The event router: a GitHub event (name + payload, as Actions delivers it) -> what agentops does.

rules.py is the routing table (data, printed by `agentops on-event --rules`); payload.py reads
the few fields a rule needs and rejects malformed payloads; router.py does what a rule says,
through agentops.orchestrator.
"""
