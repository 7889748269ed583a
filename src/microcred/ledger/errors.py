"""The exceptions :mod:`microcred.ledger` raises, all rooted in :class:`MicrocredError`.

    MicrocredError
    ├── LogProofError         an inclusion or consistency proof that does not verify, or that
    │   │                     cannot be produced for the sizes asked
    │   ├── CheckpointError   a checkpoint that cannot be parsed, names another log, or whose
    │   │                     signature does not verify
    │   └── AnchorError       an anchor whose transaction does not commit to its checkpoint
    ├── ChainUnavailableError the chain holding an anchor cannot be asked (never a failure
    │                         of the log: verification does not depend on the chain)
    └── LogStoreError         a store that lacks a node it should hold, or an append that does
                              not continue the log where the store ends (a concurrent writer)

A verifier never returns ``False``: it returns ``None`` or raises one of these.
"""

from __future__ import annotations

from microcred.errors import MicrocredError


class LogProofError(MicrocredError):
    """A Merkle proof that does not verify, or arguments for which no proof exists."""


class CheckpointError(LogProofError):
    """A checkpoint that is garbage, comes from another log, or carries no valid signature."""


class LogStoreError(MicrocredError):
    """A log store that is missing a node, or an append that lost a race with another writer."""


class AnchorError(LogProofError):
    """An anchor record that is malformed, or whose transaction commits to something else."""


class ChainUnavailableError(MicrocredError):
    """The chain could not be asked about an anchor (no network, RPC error, timeout)."""
