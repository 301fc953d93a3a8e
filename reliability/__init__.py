"""The reliability and security suite (`nox -s reliability`): bad input, faults and load, nothing lost."""
