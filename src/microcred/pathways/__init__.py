"""Stackable pathways and micro-degrees (see docs/design/pathways.md)."""
