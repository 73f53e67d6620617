"""What `agentops demo` ships besides its command: the sample project with a real bug, the
Agent Task answers, and small stand-alone scripts (agentops.demo.assets) that the demo copies
into its temporary folder: the scripted fix, the local HTTP service and its deploy script,
and a stdlib test runner for interpreters without pytest.

The scripts use the standard library only and never import agentops, so they run the same
under an editable install, a wheel or the single-file agentops.pyz.
"""
