"""Embedded GitHub emulator (loopback HTTP, stateful, fault injection, request counts).

Nothing here is imported by agentops at start-up; `agentops.sandbox.server.Emulator` is the entry point.
"""
