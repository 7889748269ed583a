"""Dashboard figures: credentials issued, claimed, shared and verified per week and per
achievement, counts by live status, and notification e-mails.

The numbers come from :mod:`microcred.engagement.charts` (issued from the credentials; claimed,
shared and verified from the event counters); this module lays them out. Everything is scoped
to the signed-in staff's issuer.
Charts are server-drawn SVG bars, with presentation attributes only (the CSP forbids inline
styles); every chart has a table with the same numbers beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from microcred.accounts.actor import Actor
from microcred.engagement.events import KINDS
from microcred.web.pages.core import get_pages, render, require

if TYPE_CHECKING:
    from microcred.runtime import Runtime

router = APIRouter(prefix="/console", include_in_schema=False)
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
    counted = runtime.charts.dashboard(actor, issuer_id)
    return Figures(
        weeks=week_groups(counted.weeks, CHART_WIDTH, CHART_HEIGHT),
        achievements=achievement_groups(counted.achievements, CHART_WIDTH),
        states=counted.states,
        emails=counted.emails,
        total=sum(counted.states.values()),
        colours=COLOURS,
    )


@router.get("/stats")
def stats_page(request: Request, actor: Annotated[Actor, Depends(require("viewer"))]) -> Response:
    runtime = get_pages(request).runtime
    assert actor.issuer_id is not None  # staff always belong to one issuer
    return render(
        request, "console/stats.html", {"figures": figures(runtime, actor, actor.issuer_id)}
    )
