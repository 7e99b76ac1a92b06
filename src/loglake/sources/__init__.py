"""Sources: everything that turns outside logs into raw-zone batches."""
