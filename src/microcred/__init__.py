"""microcred: Open Badges 3.0 micro-credentials on open standards."""

from __future__ import annotations

__version__ = "0.1.0"
