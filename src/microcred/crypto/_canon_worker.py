"""Child process for canonicalizing untrusted graphs under a deadline (see ``crypto.canon``)."""

from __future__ import annotations

import sys

from microcred.crypto.canon import _canonicalize_text


def main() -> None:
    nquads = sys.stdin.buffer.read().decode("utf-8")
    sys.stdout.buffer.write(_canonicalize_text(nquads).encode("utf-8"))


if __name__ == "__main__":
    main()
