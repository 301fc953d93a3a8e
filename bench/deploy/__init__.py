"""Deploy benchmark: expressway against the Express Mode emulation with a per-deployment delay."""
