"""Running the platform: health and readiness, metrics, structured logs, backups."""
