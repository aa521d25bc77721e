"""The report's network figure: deterministic layout, valid SVG, cut to what matters."""

from __future__ import annotations

import math
from xml.etree import ElementTree

from dualtrace.show.report.neighbourhood import Edge, Neighbourhood, Node
from dualtrace.show.report.network_figure import force_layout, network_svg, select_nodes


def _star(n: int) -> Neighbourhood:
    nodes = {"c": Node("c", "IEMZ Kupol", "Company", listed=True)}
    edges = []
    for i in range(n):
        nid = f"n{i}"
        nodes[nid] = Node(nid, f"Supplier {i} <Co>", "Company", listed=(i == 3))
        edges.append(Edge(f"e{i}", nid, "c", "Ownership" if i == 0 else "Payment", "owns"))
    return Neighbourhood(centre=["c"], nodes=nodes, edges=edges)


def test_layout_is_reproducible_and_spreads_nodes() -> None:
    ids = [f"n{i}" for i in range(20)]
    edges = [(ids[i], ids[i + 1]) for i in range(19)]
    a = force_layout(ids, edges)
    assert a == force_layout(ids, edges)
    pts = list(a.values())
    assert all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y in pts)
    closest = min(math.dist(p, q) for i, p in enumerate(pts) for q in pts[i + 1 :])
    assert closest > 0.02  # no two nodes drawn on top of each other


def test_svg_is_well_formed_escapes_names_and_cuts_large_graphs() -> None:
    fig = network_svg(_star(100), limit=30)
    root = ElementTree.fromstring(fig.svg)
    assert root.tag.endswith("svg")
    assert fig.shown == 30 and fig.omitted == 71
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "IEMZ Kupol" in texts
    assert any(t and "<Co>" in t for t in texts)  # escaped in the markup, intact once parsed
    # centre, then the listed supplier, then the owner come first
    chosen = [n.id for n in select_nodes(_star(100), limit=3)]
    assert chosen == ["c", "n3", "n0"]
