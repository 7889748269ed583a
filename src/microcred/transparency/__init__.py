"""The transparency log: an entry for every issuance and status change, checkpoints, proofs
and witnessing."""
