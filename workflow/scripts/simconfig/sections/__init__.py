"""One model per top-level section of the simulation config (the peer's key structure)."""
