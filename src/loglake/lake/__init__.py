"""The lake: a store of objects and the zones laid out in it (raw, clean, quarantine, state, schema)."""
