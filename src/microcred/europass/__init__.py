"""Europass: our credentials out as sealed European Digital Credentials (ELM v3)."""
