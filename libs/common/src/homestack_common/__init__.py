"""Shared app factory, settings, logging, health and errors for homestack services."""
