"""Verification on the server: the library verifier wired to our issuers, status lists and log."""
