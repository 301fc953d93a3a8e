"""Shared bench plumbing: local DynamoDB, a latency proxy, uvicorn children, a load generator."""
