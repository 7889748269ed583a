"""The learner's wallet: what they hold, collect and show."""
