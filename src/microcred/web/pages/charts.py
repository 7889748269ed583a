"""Dashboard figures: credentials issued, claimed, shared and verified per week and per
achievement, counts by live status, and notification e-mails.

Issued counts come from the credentials; claimed, shared and verified from the event counters
(:mod:`microcred.services.events`). Everything is scoped to the signed-in staff's issuer.
Charts are server-drawn SVG bars, with presentation attributes only (the CSP forbids inline
styles); every chart has a table with the same numbers beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import and_, case, func, select

from microcred.services.actor import Actor
from microcred.services.events import KINDS
from microcred.store.tables import AchievementRow, CredentialRow, NotificationRow
from microcred.web.pages.core import get_pages, render, require

if TYPE_CHECKING:
    from microcred.runtime import Runtime

router = APIRouter(prefix="/console", include_in_schema=False)
WEEKS = 12
TOP_ACHIEVEMENTS = 10
CHART_WIDTH = 600
CHART_HEIGHT = 160
LABEL_WIDTH = 220
BAR_THICKNESS = 8
ROW_HEIGHT = 4 * (BAR_THICKNESS + 1) + 12
SERIES = ("issued", *KINDS)
# Colour per series (legend and bars); the tables carry the same numbers for everyone.
COLOURS = {"issued": "#0b5cad", "claimed": "#116329", "shared": "#8a4600", "verified": "#6639ba"}


@dataclass(frozen=True)
class Bar:
    series: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Group:
    """One week or one achievement: its numbers per series, and their bars."""

    label: str
    values: dict[str, int]
    bars: list[Bar]
    start: date | None = None  # for weeks: the Monday the week starts on
    y: float = 0.0  # for achievements: the top of the row


@dataclass(frozen=True)
class Figures:
    weeks: list[Group]
    achievements: list[Group]
    states: dict[str, int]
    emails: dict[str, int]
    total: int
    series: tuple[str, ...] = SERIES
    colours: dict[str, str] | None = None
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    row_height: int = ROW_HEIGHT


def week_groups(weeks: list[tuple[date, dict[str, int]]], width: int, height: int) -> list[Group]:
    """Vertical bars, one cluster per week, scaled to the largest value; a zero is a hairline."""
    if not weeks:
        return []
    top = max((max(values.values()) for _, values in weeks), default=0) or 1
    slot = width / len(weeks)
    gap = min(8.0, slot * 0.2)
    bar_width = (slot - gap) / len(SERIES)
    groups = []
    for i, (start, values) in enumerate(weeks):
        group_bars = []
        for j, series in enumerate(SERIES):
            h = max(1.0, (height - 20) * values[series] / top)
            x = i * slot + gap / 2 + j * bar_width
            group_bars.append(Bar(series, values[series], x, height - h, bar_width, h))
        groups.append(Group(start.isoformat(), values, group_bars, start=start))
    return groups


def achievement_groups(rows: list[tuple[str, dict[str, int]]], width: int) -> list[Group]:
    """Horizontal bars (achievement names read better that way), four thin bars a row."""
    top = max((max(values.values()) for _, values in rows), default=0) or 1
    room = width - LABEL_WIDTH - 60
    thick, row = BAR_THICKNESS, ROW_HEIGHT
    groups = []
    for i, (name, values) in enumerate(rows):
        group_bars = [
            Bar(
                series,
                values[series],
                LABEL_WIDTH,
                i * row + j * (thick + 1),
                max(1.0, room * values[series] / top),
                thick,
            )
            for j, series in enumerate(SERIES)
        ]
        groups.append(Group(name, values, group_bars, y=i * row))
    return groups


def figures(runtime: Runtime, actor: Actor, issuer_id: str) -> Figures:
    actor.require(issuer_id, "viewer")
    now = runtime.clock()
    monday = (now - timedelta(days=now.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    starts = [monday - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    periods = [(start, start + timedelta(weeks=1)) for start in starts]
    mine = CredentialRow.issuer_id == issuer_id
    issued_at = CredentialRow.issued_at
    # Expiry is not stored: an active credential past validUntil counts as expired.
    live_state = case(
        (
            and_(
                CredentialRow.state == "active",
                CredentialRow.valid_until.is_not(None),
                CredentialRow.valid_until <= now,
            ),
            "expired",
        ),
        else_=CredentialRow.state,
    )
    with runtime.sessions() as session:
        per_week = session.execute(
            select(
                *(
                    func.sum(case((and_(issued_at >= a, issued_at < b), 1), else_=0))
                    for a, b in periods
                )
            ).where(mine, issued_at >= starts[0])
        ).one()
        issued_by_achievement = session.execute(
            select(AchievementRow.id, AchievementRow.name, func.count(CredentialRow.id))
            .join(AchievementRow, AchievementRow.id == CredentialRow.achievement_id)
            .where(mine)
            .group_by(AchievementRow.id, AchievementRow.name)
            .order_by(func.count(CredentialRow.id).desc(), AchievementRow.name)
            .limit(TOP_ACHIEVEMENTS)
        ).all()
        states: dict[str, int] = {
            str(state): int(count)
            for state, count in session.execute(
                select(live_state, func.count()).where(mine).group_by(live_state)
            )
        }
        emails = dict(
            session.execute(
                select(NotificationRow.state, func.count())
                .where(NotificationRow.issuer_id == issuer_id)
                .group_by(NotificationRow.state)
            ).all()
        )
    events = runtime.events.counts(actor, issuer_id, periods)
    weeks = []
    for i, start in enumerate(starts):
        values = {"issued": int(per_week[i] or 0)}
        values.update({kind: events.per_period[kind][i] for kind in KINDS})
        weeks.append((start.date(), values))
    top = []
    for achievement_id, name, count in issued_by_achievement:
        values = {"issued": int(count)}
        values.update({k: events.per_achievement[k].get(achievement_id, 0) for k in KINDS})
        top.append((str(name), values))
    return Figures(
        weeks=week_groups(weeks, CHART_WIDTH, CHART_HEIGHT),
        achievements=achievement_groups(top, CHART_WIDTH),
        states=states,
        emails={str(k): int(v) for k, v in emails.items()},
        total=sum(states.values()),
        colours=COLOURS,
    )


@router.get("/stats")
def stats_page(request: Request, actor: Annotated[Actor, Depends(require("viewer"))]) -> Response:
    runtime = get_pages(request).runtime
    assert actor.issuer_id is not None  # staff always belong to one issuer
    return render(
        request, "console/stats.html", {"figures": figures(runtime, actor, actor.issuer_id)}
    )
