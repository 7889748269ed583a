"""The badge designer's built-in icons: line drawings on a 24x24 grid, drawn for this project.

Each is one SVG path's ``d``, stroked (no fill) with round caps and joins at width 2, so every
icon takes the badge's text colour and reads at any size. The star and the gear are computed.
"""

from __future__ import annotations

import math


def _star() -> str:
    points = []
    for i in range(10):
        radius = 9.5 if i % 2 == 0 else 4.2
        angle = math.radians(-90 + i * 36)
        points.append(f"{12 + radius * math.cos(angle):.2f} {12.6 + radius * math.sin(angle):.2f}")
    return "M" + " L".join(points) + " Z"


def _gear() -> str:
    teeth, outer, inner = 8, 10.0, 7.6
    points = []
    for i in range(teeth * 4):
        radius = outer if i % 4 in (1, 2) else inner
        angle = math.radians(i * 360 / (teeth * 4) - 90)
        points.append(f"{12 + radius * math.cos(angle):.2f} {12 + radius * math.sin(angle):.2f}")
    hub = "M15 12 A3 3 0 1 1 9 12 A3 3 0 1 1 15 12 Z"
    return "M" + " L".join(points) + " Z " + hub


ICONS: dict[str, str] = {
    "star": _star(),
    "check": "M4.5 12.5 L9.5 17.5 L19.5 6.5",
    "book": (
        "M3.5 5.5 C6.3 4.3 9.3 4.5 12 6.2 C14.7 4.5 17.7 4.3 20.5 5.5 V19 "
        "C17.7 17.9 14.7 18 12 19.6 C9.3 18 6.3 17.9 3.5 19 Z M12 6.2 V19.6"
    ),
    "cap": "M2 9.5 L12 5 L22 9.5 L12 14 Z M6 11.4 V16 C8.6 18.6 15.4 18.6 18 16 V11.4 M22 9.5 V15",
    "bulb": (
        "M9.2 18 H14.8 M10.2 21 H13.8 M12 2.8 C8.3 2.8 5.6 5.6 5.6 9.2 C5.6 11.5 6.8 13.1 8.1 "
        "14.2 C8.8 14.8 9.2 15.6 9.2 16.5 V18 H14.8 V16.5 C14.8 15.6 15.2 14.8 15.9 14.2 "
        "C17.2 13.1 18.4 11.5 18.4 9.2 C18.4 5.6 15.7 2.8 12 2.8 Z"
    ),
    "code": "M8 7 L3 12 L8 17 M16 7 L21 12 L16 17 M14 4.5 L10 19.5",
    "heart": (
        "M12 20 C5.2 15.3 2.5 11.8 2.5 8.4 C2.5 5.7 4.6 3.6 7.2 3.6 C9.2 3.6 10.9 4.7 12 6.4 "
        "C13.1 4.7 14.8 3.6 16.8 3.6 C19.4 3.6 21.5 5.7 21.5 8.4 C21.5 11.8 18.8 15.3 12 20 Z"
    ),
    "globe": (
        "M21 12 A9 9 0 1 1 3 12 A9 9 0 1 1 21 12 Z M3 12 H21 M12 3 C9.4 5.7 8.2 8.7 8.2 12 "
        "C8.2 15.3 9.4 18.3 12 21 M12 3 C14.6 5.7 15.8 8.7 15.8 12 C15.8 15.3 14.6 18.3 12 21"
    ),
    "gear": _gear(),
    "trophy": (
        "M7 3.5 H17 V9 C17 12 14.8 14.5 12 14.5 C9.2 14.5 7 12 7 9 Z M7 5.5 H3.8 "
        "C3.8 8.8 5.4 10.5 7.4 10.8 M17 5.5 H20.2 C20.2 8.8 18.6 10.5 16.6 10.8 M12 14.5 V18 "
        "M9 18 H15 V21 H9 Z"
    ),
    "leaf": "M4.5 19.5 C4.5 10.5 9.5 5 20 4 C19.5 14 14 19.5 4.5 19.5 Z M4.5 19.5 L13 11",
    "chart": "M3.5 20.5 H20.5 M7 17 V12 M12 17 V6 M17 17 V9.5",
    "people": (
        "M12.5 7.5 A3.5 3.5 0 1 1 5.5 7.5 A3.5 3.5 0 1 1 12.5 7.5 Z M2.5 20 C2.5 16.4 5.4 14 9 "
        "14 C12.6 14 15.5 16.4 15.5 20 M15.5 4.2 A3.4 3.4 0 0 1 15.5 10.8 M18 14.4 "
        "C20.2 15.1 21.5 17.3 21.5 20"
    ),
    "flask": (
        "M8.5 3 H15.5 M10 3 V9 L4.6 18.4 C4 19.6 4.8 21 6.2 21 H17.8 C19.2 21 20 19.6 19.4 "
        "18.4 L14 9 V3 M7.2 15 H16.8"
    ),
}
"""Icon name -> path data (24x24, stroked). The names are the form's values."""
