"""The console's credential finder: search (name, e-mail, id), filters (achievement, status,
issue date), sorting, paging, and the same selection as a CSV download.

The query string carries the whole selection, so a search can be bookmarked and the export
link is the page's own query. Every route takes a viewer; the service checks it again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from microcred.accounts.actor import Actor
from microcred.errors import InputError
from microcred.issuing.repository import SORTS, CredentialFilter
from microcred.runtime import Runtime
from microcred.store.tables import CredentialRow
from microcred.web.pages.core import all_achievements, error_page, get_pages, render, require
from microcred.web.pages.credential_view import live_state
from microcred.web.pages.spreadsheet import csv_response

router = APIRouter(prefix="/console", include_in_schema=False)

Viewer = Annotated[Actor, Depends(require("viewer"))]
PAGE_SIZE = 50
EXPORT_PAGE = 500  # rows read per query while the export streams
STATES = ("active", "expired", "suspended", "revoked")
MAX_SEARCH = 200
EXPORT_HEADER = (
    "id",
    "recipient_name",
    "recipient_email",
    "recipient_did",
    "achievement",
    "issued_at",
    "valid_until",
    "status",
    "reason",
    "public_url",
)


@dataclass(frozen=True)
class Selection:
    """What the issuer asked for, as read from the query string (kept to fill the form in)."""

    q: str = ""
    achievement: str = ""
    state: str = ""
    issued_from: str = ""
    issued_to: str = ""
    sort: str = "newest"
    page: int = 1

    def query(self, **changes: object) -> str:
        """This selection's query string, with ``changes`` (empty values left out)."""
        chosen = replace(self, **changes)  # type: ignore[arg-type]
        pairs = {
            "q": chosen.q,
            "achievement": chosen.achievement,
            "state": chosen.state,
            "from": chosen.issued_from,
            "to": chosen.issued_to,
            "sort": "" if chosen.sort == "newest" else chosen.sort,
            "page": "" if chosen.page == 1 else str(chosen.page),
        }
        return urlencode({k: v for k, v in pairs.items() if v})


def read_selection(params: Mapping[str, str]) -> Selection:
    """The selection in ``params``; unknown states and sorts fall back to all / newest."""
    page_text = params.get("page", "")
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 1_000_000 else 1
    state = params.get("state", "")
    sort = params.get("sort", "")
    return Selection(
        q=params.get("q", "").strip()[:MAX_SEARCH],
        achievement=params.get("achievement", "").strip()[:64],
        state=state if state in STATES else "",
        issued_from=params.get("from", "").strip()[:10],
        issued_to=params.get("to", "").strip()[:10],
        sort=sort if sort in SORTS else "newest",
        page=page,
    )


def to_filter(selection: Selection, now: datetime) -> CredentialFilter:
    """The repository's filter; InputError names a date that is not YYYY-MM-DD. The "to" day
    is included; "valid" is active and not past validUntil, "expired" active and past it."""
    start = _day(selection.issued_from, "from")
    end = _day(selection.issued_to, "to")
    state = selection.state or None
    return CredentialFilter(
        achievement_id=selection.achievement or None,
        state="active" if state == "expired" else state,
        search=selection.q or None,
        issued_after=start,
        issued_before=end + timedelta(days=1) if end else None,
        unexpired_at=now if state == "active" else None,
        expired_at=now if state == "expired" else None,
        sort=selection.sort,
    )


def _day(text: str, field: str) -> datetime | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"the {field} date is not a date", expected="YYYY-MM-DD", found=text
        ) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@router.get("/credentials")
def find_credentials(request: Request, actor: Viewer) -> Response:
    runtime = get_pages(request).runtime
    issuer_id = _issuer_id(actor)
    selection = read_selection(request.query_params)
    achievements = all_achievements(runtime, actor, issuer_id)
    context: dict[str, object] = {
        "selection": selection,
        "achievements": achievements,
        "states": STATES,
        "sorts": SORTS,
        "credentials": [],
        "total": 0,
        "pages": 1,
    }
    try:
        where = to_filter(selection, runtime.clock())
    except InputError as error:
        context["error"] = error
        return render(request, "console/credentials.html", context, status_code=422)
    offset = (selection.page - 1) * PAGE_SIZE
    rows, total = runtime.credentials.list(actor, issuer_id, where, offset=offset, limit=PAGE_SIZE)
    names = {a.id: a.name for a in achievements}
    context |= {
        "credentials": [
            (r, names.get(r.achievement_id or "", ""), live_state(runtime, r)) for r in rows
        ],
        "total": total,
        "pages": max(1, -(-total // PAGE_SIZE)),
    }
    return render(request, "console/credentials.html", context)


@router.get("/credentials.csv")
def export_credentials(request: Request, actor: Viewer) -> Response:
    runtime = get_pages(request).runtime
    issuer_id = _issuer_id(actor)
    selection = read_selection(request.query_params)
    try:
        where = to_filter(selection, runtime.clock())
    except InputError as error:
        return error_page(request, 422, error)
    runtime.credentials.list(actor, issuer_id, where, limit=1)  # the role, before streaming
    names = {a.id: a.name for a in all_achievements(runtime, actor, issuer_id)}
    stamp = runtime.clock().strftime("%Y-%m-%d")
    rows = _export_rows(runtime, actor, issuer_id, where, names)
    return csv_response(f"credentials-{stamp}.csv", EXPORT_HEADER, rows)


def _export_rows(
    runtime: Runtime, actor: Actor, issuer_id: str, where: CredentialFilter, names: dict[str, str]
) -> Iterator[tuple[object, ...]]:
    offset = 0
    while True:
        rows, _total = runtime.credentials.list(
            actor, issuer_id, where, offset=offset, limit=EXPORT_PAGE
        )
        for row in rows:
            yield _export_row(runtime, row, names)
        if len(rows) < EXPORT_PAGE:
            return
        offset += EXPORT_PAGE


def _export_row(runtime: Runtime, row: CredentialRow, names: dict[str, str]) -> tuple[object, ...]:
    return (
        row.id,
        row.recipient_name,
        row.recipient_email,
        row.recipient_did,
        names.get(row.achievement_id or "", ""),
        _iso(row.issued_at),
        _iso(row.valid_until),
        live_state(runtime, row),
        row.state_reason,
        runtime.urls.credential(row.id),
    )


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _issuer_id(actor: Actor) -> str:
    assert actor.issuer_id is not None  # staff always belong to one issuer
    return actor.issuer_id
