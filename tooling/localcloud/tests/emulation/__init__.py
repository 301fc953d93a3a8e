"""Conformance tests of the ECS Express Mode emulation."""
