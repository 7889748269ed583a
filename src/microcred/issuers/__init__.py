"""Issuers: profiles, DIDs, signing keys sealed at rest, and API keys."""
