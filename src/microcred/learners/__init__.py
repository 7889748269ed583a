"""Learner accounts: magic-link sign-in, sessions, verified addresses, a did:key, export and
deletion (see docs/design/learners.md)."""
