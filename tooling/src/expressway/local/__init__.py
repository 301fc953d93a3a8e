"""The local cloud: an emulated AWS endpoint (moto plus ECS Express Mode), router, supervisor."""
