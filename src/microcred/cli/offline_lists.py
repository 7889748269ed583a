"""Status lists given to ``microcred verify`` on the command line, by the URL credentials name.

``--status-list FILE`` reads a status list credential (JSON, or a VC-JWT) or a 1EdTech revocation
list, filed under its own ``id``; ``--status-list URL=FILE`` files it under ``URL`` (a list
saved from an address other than its id, or one without an id). The verifier then looks a list
up by the URL the credential names; the CLI fetches nothing, so a credential naming a URL no
list was given for cannot have its status checked (the result names the URLs given).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from microcred.crypto import jose
from microcred.errors import InputError, MicrocredError, short


def read_lists(arguments: list[str]) -> dict[str, dict[str, Any] | str]:
    """URL -> the list, from ``--status-list`` arguments; :class:`InputError` on a bad one."""
    lists: dict[str, dict[str, Any] | str] = {}
    for argument in arguments:
        url, _, path = argument.partition("=")
        if not path or not url.startswith(("https://", "http://")):
            url, path = "", argument
        listed = _read(Path(path))
        url = url or _own_id(listed, path)
        if url in lists:
            raise InputError("two --status-list files for one URL", expected="one", found=url)
        lists[url] = listed
    return lists


def _read(path: Path) -> dict[str, Any] | str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise InputError(f"cannot read status list {path}: {exc.strerror}") from exc
    if jose.looks_like_jwt(text):
        return text
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InputError(
            f"status list {path} is neither JSON nor a VC-JWT", found=short(text)
        ) from exc
    if not isinstance(document, dict):
        raise InputError(f"status list {path} is not a JSON object", found=short(document))
    return document


def _own_id(listed: dict[str, Any] | str, path: str) -> str:
    try:
        document = jose.decode_unverified(listed)[1] if isinstance(listed, str) else listed
    except MicrocredError as exc:
        raise InputError(f"status list {path} cannot be read: {exc.message}") from exc
    url = document.get("id")
    if not isinstance(url, str):
        raise InputError(
            f"status list {path} has no 'id'",
            expected="a list with an id, or --status-list URL=FILE",
            found=short(url),
        )
    return url
