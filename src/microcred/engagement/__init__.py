"""Engagement counters (claimed, shared, verified) and the charts built from them."""
