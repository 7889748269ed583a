"""Issuing credentials: one request or many in one transaction, reading them back, and the
recipient's private link."""
