"""The dev and test harness: local DynamoDB (DynamoDB Local or moto server), a latency proxy, uvicorn
children, demo data and a load generator; used by `nox -s serve`, the benches and the reliability suite."""
