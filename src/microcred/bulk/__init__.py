"""Bulk issuance: CSV uploads checked and staged, then issued by chunk jobs, crash-safe and
idempotent."""
