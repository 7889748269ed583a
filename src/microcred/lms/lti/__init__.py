"""LTI 1.3 tool: platforms, the tool's keys, login initiation and launch validation."""
