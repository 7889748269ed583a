"""Notifications: the issuance e-mail's outbox rows, their jobs, and the mail transport
(outbox or SMTP)."""
