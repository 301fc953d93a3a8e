"""Sensor reading models, table specs and the DynamoDB store."""
