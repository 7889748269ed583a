"""The badge designer and SVG rasterising: drawing a design (parameters -> sanitised SVG), and
rendering an SVG to PNG with resvg at the Open Graph card's size and the certificate's, each
uncached; plus the card itself from a PNG badge and from an SVG one (rendition cached, as a
crawler's second request finds it). Medians of interleaved rounds.

    python bench/badge_bench.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import statistics

from bench_support import interleaved

from microcred.achievements.designer import BadgeDesign, render_svg
from microcred.web.pages import raster
from microcred.web.pages.artwork import card_png

DESIGN = BadgeDesign(shape="shield", line1="Data Analysis", line2="Level 2", icon="chart")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    svg = render_svg(DESIGN)
    rendered = raster.png_of(svg, "image/svg+xml", 360)
    assert rendered is not None
    png = rendered[0]

    def uncached(size: int) -> object:
        return raster._render(svg, size)  # below png_of's cache of renditions

    cases = {
        "design -> sanitised SVG": lambda: render_svg(DESIGN),
        "SVG -> PNG 360 px (card)": lambda: uncached(360),
        "SVG -> PNG 600 px (certificate)": lambda: uncached(600),
        "card from a PNG badge": lambda: card_png(
            title="Data Analysis", issuer="Bench", line="x", image=png, media_type="image/png"
        ),
        "card from an SVG badge, cached": lambda: card_png(
            title="Data Analysis", issuer="Bench", line="x", image=svg, media_type="image/svg+xml"
        ),
    }
    times = interleaved(cases, rounds)
    print(f"badge designer and rasterising, median of {rounds} rounds (SVG {len(svg)} bytes)")
    for name, seconds in times.items():
        print(f"  {name:34} {statistics.median(seconds) * 1000:8.2f} ms")


if __name__ == "__main__":
    main()
