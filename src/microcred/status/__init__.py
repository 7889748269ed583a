"""Status after issuance: revoke, suspend, reinstate and expiry; status-list indices and the
signed status lists."""
