"""Settings that belong to the data, not to one process: the public URL."""
