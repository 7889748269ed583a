"""The audit log: one helper writes an event in the caller's transaction; the service reads them."""
