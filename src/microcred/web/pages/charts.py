"""Dashboard figures: credentials issued per week, per achievement, by status, and e-mails.

Counts come straight from the store (no counters exist for verifications or shares, and the
dashboard says so). Charts are server-drawn SVG bars, using presentation attributes only (the
CSP forbids inline styles); every chart has a table with the same numbers beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from microcred.services.actor import Actor
from microcred.store.tables import AchievementRow, CredentialRow, NotificationRow
from microcred.web.pages.core import get_pages, render, require

if TYPE_CHECKING:
    from microcred.runtime import Runtime

router = APIRouter(prefix="/console", include_in_schema=False)
WEEKS = 12
CHART_WIDTH = 600
CHART_HEIGHT = 160


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    start: date | None = None  # for week bars: the Monday the week starts on


@dataclass(frozen=True)
class Figures:
    weeks: list[Bar]
    achievements: list[Bar]
    states: dict[str, int]
    emails: dict[str, int]
    total: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT


def bars(items: Sequence[tuple[str, int, date | None]], width: int, height: int) -> list[Bar]:
    """Vertical bars scaled to the largest value; a zero still shows as a hairline."""
    if not items:
        return []
    top = max(value for _, value, _ in items) or 1
    slot = width / len(items)
    gap = min(8.0, slot * 0.2)
    result = []
    for i, (label, value, start) in enumerate(items):
        h = max(1.0, (height - 20) * value / top)
        result.append(Bar(label, value, i * slot + gap / 2, height - h, slot - gap, h, start))
    return result


LABEL_WIDTH = 220
ROW_HEIGHT = 28


def hbars(items: Sequence[tuple[str, int, date | None]], width: int) -> list[Bar]:
    """Horizontal bars (long labels, such as achievement names, read better that way)."""
    top = max((value for _, value, _ in items), default=0) or 1
    room = width - LABEL_WIDTH - 60
    return [
        Bar(label, value, LABEL_WIDTH, i * ROW_HEIGHT, max(1.0, room * value / top), ROW_HEIGHT - 8)
        for i, (label, value, _) in enumerate(items)
    ]


def figures(runtime: Runtime, actor: Actor, issuer_id: str) -> Figures:
    actor.require(issuer_id, "viewer")
    now = runtime.clock()
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    starts = [monday - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    mine = CredentialRow.issuer_id == issuer_id
    with runtime.sessions() as session:
        issued = session.execute(
            select(CredentialRow.issued_at).where(mine, CredentialRow.issued_at >= starts[0])
        ).scalars()
        per_week = [0] * WEEKS
        for when in issued:
            index = (when - starts[0]).days // 7
            if 0 <= index < WEEKS:
                per_week[index] += 1
        by_achievement = session.execute(
            select(AchievementRow.name, func.count(CredentialRow.id))
            .join(AchievementRow, AchievementRow.id == CredentialRow.achievement_id)
            .where(mine)
            .group_by(AchievementRow.id, AchievementRow.name)
            .order_by(func.count(CredentialRow.id).desc(), AchievementRow.name)
            .limit(10)
        ).all()
        states = dict(
            session.execute(
                select(CredentialRow.state, func.count()).where(mine).group_by(CredentialRow.state)
            ).all()
        )
        emails = dict(
            session.execute(
                select(NotificationRow.state, func.count())
                .where(NotificationRow.issuer_id == issuer_id)
                .group_by(NotificationRow.state)
            ).all()
        )
    weeks = [(_day(s).isoformat(), n, _day(s)) for s, n in zip(starts, per_week, strict=True)]
    top = [(str(name), int(n), None) for name, n in by_achievement]
    return Figures(
        weeks=bars(weeks, CHART_WIDTH, CHART_HEIGHT),
        achievements=hbars(top, CHART_WIDTH),
        states={str(k): int(v) for k, v in states.items()},
        emails={str(k): int(v) for k, v in emails.items()},
        total=sum(int(v) for v in states.values()),
    )


def _day(moment: datetime) -> date:
    return moment.date()


@router.get("/stats")
def stats_page(request: Request, actor: Annotated[Actor, Depends(require("viewer"))]) -> Response:
    runtime = get_pages(request).runtime
    assert actor.issuer_id is not None  # staff always belong to one issuer
    return render(
        request, "console/stats.html", {"figures": figures(runtime, actor, actor.issuer_id)}
    )
