"""Verification: compose named checks into an explained result."""

from microcred.verify.result import Check, Status, VerificationResult
from microcred.verify.verifier import Verifier

__all__ = ["Check", "Status", "VerificationResult", "Verifier"]
