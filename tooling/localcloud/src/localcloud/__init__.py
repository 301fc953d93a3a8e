"""The local cloud: an emulated AWS endpoint on loopback (moto plus the Express Mode emulation) and a
runtime that runs what it holds as local processes behind a host router. `expressway dev` loads it."""
