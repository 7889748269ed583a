"""Webhooks out: an issuer's subscriptions to credential events, signed per the Standard
Webhooks specification and delivered by jobs with retries (see docs/design/lms.md)."""
