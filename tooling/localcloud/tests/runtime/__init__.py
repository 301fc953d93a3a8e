"""Tests of the local cloud: router, supervisor and the `dev` orchestration."""
