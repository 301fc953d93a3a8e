"""Sensors API load benchmark: the seed-style baseline vs homestack_sensors vs a hello-world ceiling."""
