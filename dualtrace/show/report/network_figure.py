"""The network figure of a report, laid out and drawn as SVG on the server.

Reports must print the same picture every time (a PDF handed to a regulator cannot
depend on a browser), so the layout is a deterministic force-directed placement
(Fruchterman-Reingold with a fixed seed and a cooling schedule) and the drawing is
plain SVG that WeasyPrint renders. Large neighbourhoods are cut to the most relevant
nodes (centre, listed parties, owners) and the rest are counted in the caption.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from dualtrace.show.report.neighbourhood import Edge, Neighbourhood, Node

MAX_NODES = 60
ITERATIONS = 250
WIDTH = 720
HEIGHT = 480
MARGIN_X = 110  # room for labels centred under nodes at the left and right edges
MARGIN_Y = 40

EDGE_COLOURS = {
    "Ownership": "#1f5fa8",
    "Control": "#1f5fa8",
    "parent": "#1f5fa8",
    "Directorship": "#7a4fa0",
    "Payment": "#2c8a3e",
    "Family": "#a86b1f",
    "Associate": "#a86b1f",
}


@dataclass(frozen=True, slots=True)
class Figure:
    svg: str
    shown: int
    omitted: int


def select_nodes(net: Neighbourhood, limit: int = MAX_NODES) -> list[Node]:
    """Centre first, then listed parties, owners/controllers, then the rest by name."""
    centre = set(net.centre)
    owners = {e.source for e in net.edges if e.type in ("Ownership", "Control", "parent")}

    def rank(n: Node) -> tuple[int, str]:
        if n.id in centre:
            return (0, n.caption)
        if n.listed:
            return (1, n.caption)
        if n.id in owners:
            return (2, n.caption)
        return (3, n.caption)

    return sorted(net.nodes.values(), key=rank)[:limit]


def force_layout(
    ids: Sequence[str], edges: Sequence[tuple[str, str]], seed: int = 7
) -> dict[str, tuple[float, float]]:
    """Fruchterman-Reingold positions in the unit square, reproducible for a seed."""
    rng = random.Random(seed)
    n = len(ids)
    if n == 0:
        return {}
    if n == 1:
        return {ids[0]: (0.5, 0.5)}
    pos = {i: [rng.random(), rng.random()] for i in ids}
    k = math.sqrt(1.0 / n)
    temp = 0.1
    for _ in range(ITERATIONS):
        disp = {i: [0.0, 0.0] for i in ids}
        for a_idx in range(n):
            a = ids[a_idx]
            for b_idx in range(a_idx + 1, n):
                b = ids[b_idx]
                dx = pos[a][0] - pos[b][0]
                dy = pos[a][1] - pos[b][1]
                d2 = dx * dx + dy * dy or 1e-9
                f = k * k / d2
                disp[a][0] += dx * f
                disp[a][1] += dy * f
                disp[b][0] -= dx * f
                disp[b][1] -= dy * f
        for a, b in edges:
            if a == b or a not in pos or b not in pos:
                continue
            dx = pos[a][0] - pos[b][0]
            dy = pos[a][1] - pos[b][1]
            d = math.sqrt(dx * dx + dy * dy) or 1e-9
            f = d / k
            disp[a][0] -= dx * f
            disp[a][1] -= dy * f
            disp[b][0] += dx * f
            disp[b][1] += dy * f
        for i in ids:
            dx, dy = disp[i]
            d = math.sqrt(dx * dx + dy * dy) or 1e-9
            step = min(d, temp)
            pos[i][0] += dx / d * step
            pos[i][1] += dy / d * step
        temp *= 0.98
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    return {i: ((p[0] - min(xs)) / span_x, (p[1] - min(ys)) / span_y) for i, p in pos.items()}


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def network_svg(net: Neighbourhood, limit: int = MAX_NODES) -> Figure:
    """An SVG drawing of the neighbourhood: listed parties red, the centre dark blue."""
    nodes = select_nodes(net, limit)
    keep = {n.id for n in nodes}
    edges: list[Edge] = [e for e in net.edges if e.source in keep and e.target in keep]
    ids = [n.id for n in nodes]
    pos = force_layout(ids, [(e.source, e.target) for e in edges])

    def xy(node_id: str) -> tuple[float, float]:
        x, y = pos[node_id]
        return MARGIN_X + x * (WIDTH - 2 * MARGIN_X), MARGIN_Y + y * (HEIGHT - 2 * MARGIN_Y)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="Network figure" '
        'font-family="DejaVu Sans, Noto Sans CJK SC, sans-serif">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="18" refY="5" '
        'markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for e in edges:
        x1, y1 = xy(e.source)
        x2, y2 = xy(e.target)
        colour = EDGE_COLOURS.get(e.type, "#888888")
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{colour}" stroke-width="1.4" marker-end="url(#arrow)"/>'
        )
        if len(edges) <= 25:
            parts.append(
                f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2 - 3:.1f}" font-size="8" '
                f'fill="{colour}" text-anchor="middle">{escape(_short(e.label, 24))}</text>'
            )
    centre = set(net.centre)
    for n in nodes:
        x, y = xy(n.id)
        if n.id in centre:
            fill, r = "#0b2a4a", 10
        elif n.listed:
            fill, r = "#c0262d", 8
        else:
            fill, r = "#8a97a6", 6
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{fill}" stroke="#fff" '
            f'stroke-width="1.5"><title>{escape(n.caption)}</title></circle>'
        )
        weight = "bold" if n.id in centre else "normal"
        parts.append(
            f'<text x="{x:.1f}" y="{y + r + 10:.1f}" font-size="9" text-anchor="middle" '
            f'font-weight="{weight}" fill="#222">{escape(_short(n.caption))}</text>'
        )
    parts.append("</svg>")
    return Figure("".join(parts), len(nodes), max(0, len(net.nodes) - len(nodes)))
