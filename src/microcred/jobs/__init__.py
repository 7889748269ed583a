"""Background work on the huey job-queue engine (see docs/design/jobs.md)."""
