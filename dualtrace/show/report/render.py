"""Entity and case reports as HTML and PDF, every statement citing its source.

A report is what an investigator hands to a regulator or an editor, so it states the
date it describes ("list status as of"), shows the network as a fixed figure, and ends
with an evidence table in which each statement names its list and version, or its
document, page and quote. The HTML is self-contained (styles embedded, figure inline
SVG) unless it is served by the workspace, where the stylesheet is linked because the
workspace's Content-Security-Policy refuses inline styles; the PDF is the same HTML
printed by WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jinja2

from dualtrace.errors import NotFoundError
from dualtrace.graph.adjacency import pinned
from dualtrace.show.report import capabilities
from dualtrace.show.report.dossier import Dossier, build_dossier
from dualtrace.show.report.neighbourhood import Neighbourhood, entity_ids_of, neighbourhood
from dualtrace.show.report.network_figure import Figure, network_svg
from dualtrace.show.report.trade_flows import charts, entity_trade
from dualtrace.show.web import cases as case_book
from dualtrace.show.web import documents_view
from dualtrace.store.duckdb_store import Store


@dataclass(slots=True)
class Report:
    """What a report says, before it is turned into HTML or PDF."""

    kind: str  # 'entity' or 'case'
    title: str
    as_of: str | None
    generated_at: str
    dossiers: list[Dossier]
    figure: Figure
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    case: case_book.Case | None = None
    documents: list[documents_view.DocumentSummary] = field(default_factory=list)

    @property
    def filename(self) -> str:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", self.title).strip("-").lower()[:60]
        return slug or self.kind

    @property
    def status_date(self) -> str:
        return self.as_of or self.generated_at[:10]


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def capability_sections(
    store: Store, dossier: Dossier, rules: bool = True
) -> dict[str, dict[str, Any]]:
    """Ownership-rule status, red flags and trade flows for a dossier, where available.

    Each section is ``{"available": bool, "message": str, "items": [...]}`` so pages and
    reports can say what is missing instead of leaving a silent gap. ``rules=False``
    leaves the ownership rules out (they rebuild the whole graph: seconds on a small
    store, minutes on a full list), for pages that offer them on request instead.
    """
    out: dict[str, dict[str, Any]] = {}
    for name in ("ownership", "flags", "trade"):
        cap = capabilities.capability_status()[name]
        out[name] = {
            "available": cap.available,
            "message": "" if cap.available else capabilities.unavailable(name),
            "items": [],
        }
    if out["trade"]["available"]:
        out["trade"].update(trade_section(store, dossier))
    if out["ownership"]["available"]:
        if rules:
            out["ownership"].update(ownership_status(store, dossier.id, dossier.as_of))
        else:
            out["ownership"]["deferred"] = True
    if out["flags"]["available"]:
        if rules:
            out["flags"].update(red_flags(store, dossier.id, dossier.as_of))
        else:
            out["flags"]["deferred"] = True
    return out


def trade_section(store: Store, dossier: Dossier) -> dict[str, Any]:
    """Trade lines naming the entity (via resolved trade parties) and their charts."""
    flows = entity_trade(store, set(entity_ids_of(store, [dossier.id])))
    if flows is None:
        return {"flows": None, "message": "No trade records are loaded in this store."}
    if not flows.lines:
        return {"flows": None, "message": "No trade record names this entity."}
    return {"flows": flows, "charts": charts(flows), "message": ""}


def red_flags(store: Store, entity_id: str, as_of: str | None) -> dict[str, Any]:
    """Red flags raised about the entity as of a date, each with the rule's reason and
    its sources, and the combined risk score (from the networks capability)."""
    from dualtrace.judge.red_flags import run_flags

    date = as_of or dt.date.today().isoformat()
    run = run_flags(store, date, entity=entity_id)
    score = next((s for s in run.scores if s.subject == entity_id), None)
    return {
        "items": [f.to_dict() for f in run.flags],
        "score": score.to_dict() if score is not None else None,
        "rules_version": run.rules_version,
        "as_of": date,
        "message": "" if run.flags else f"No red flag raised as of {date}.",
    }


def ownership_status(store: Store, entity_id: str, as_of: str | None) -> dict[str, Any]:
    """The entity's status under each ownership rule (OFAC 50%, EU, UK, BIS Affiliates)
    as of a date, with the networks capability's own explanation and citations."""
    from dualtrace.graph.build import build_graph
    from dualtrace.judge.exposure import explain, run_rule
    from dualtrace.judge.ownership_rules import ownership_rules

    date = as_of or dt.date.today().isoformat()
    build_graph(store)
    row = store.con.execute("SELECT 1 FROM g_nodes WHERE id = ?", [entity_id]).fetchone()
    if row is None:
        return {"items": [], "message": "Not a party in the ownership graph."}
    items = []
    for key, rule in ownership_rules().items():
        exp = explain(store, run_rule(store, rule, date), entity_id)
        items.append(
            {
                "rule": key.upper(),
                "status": exp.status,
                "rule_state": exp.rule_state,
                "applies": exp.applies,
                "explanation": exp.explanation,
                "citations": list(exp.citations),
                "as_of": date,
            }
        )
    return {"items": items, "message": ""}


def entity_report(
    store: Store, entity_id: str, as_of: str | None = None, rules: bool = True
) -> Report:
    with pinned(store):  # one store-version check for every lookup of the report
        return _entity_report(store, entity_id, as_of, rules)


def _entity_report(store: Store, entity_id: str, as_of: str | None, rules: bool) -> Report:
    dossier = build_dossier(store, entity_id, as_of=as_of, quotes=documents_view.quoter(store))
    return Report(
        kind="entity",
        title=dossier.caption,
        as_of=as_of,
        generated_at=_now(),
        dossiers=[dossier],
        figure=network_svg(dossier.network),
        sections={dossier.id: capability_sections(store, dossier, rules)},
    )


def case_report(store: Store, case_id: str, as_of: str | None = None, rules: bool = True) -> Report:
    with pinned(store):  # one store-version check for every lookup of the report
        return _case_report(store, case_id, as_of, rules)


def _case_report(store: Store, case_id: str, as_of: str | None, rules: bool) -> Report:
    case = case_book.get_case(store, case_id)
    quoter = documents_view.quoter(store)
    dossiers = [build_dossier(store, eid, as_of=as_of, quotes=quoter) for eid in case.entity_ids]
    if dossiers:
        net = neighbourhood(store, [d.id for d in dossiers], as_of=as_of)
    else:
        net = Neighbourhood(centre=[], nodes={}, edges=[])
    docs = []
    for doc_id in case.document_ids:
        try:
            docs.append(documents_view.summary(store, doc_id))
        except NotFoundError:
            docs.append(documents_view.DocumentSummary(doc_id, doc_id, None, None, 0))
    return Report(
        kind="case",
        title=case.title,
        as_of=as_of,
        generated_at=_now(),
        dossiers=dossiers,
        figure=network_svg(net),
        sections={d.id: capability_sections(store, d, rules) for d in dossiers},
        case=case,
        documents=docs,
    )


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("dualtrace.show.report", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )


def report_css() -> str:
    return resources.files("dualtrace.show.web").joinpath("static", "report.css").read_text("utf-8")


def to_html(report: Report, css_href: str | None = None) -> str:
    """The report as one HTML page; styles embedded unless ``css_href`` links them."""
    template = _environment().get_template("report.html")
    return template.render(
        r=report,
        css_href=css_href,
        css=None if css_href else report_css(),
    )


def to_pdf(report: Report) -> bytes:
    """The report printed by WeasyPrint (A4, page numbers in the footer)."""
    from weasyprint import HTML  # type: ignore[import-untyped] # imported late: it loads Pango, which takes a moment

    pdf = HTML(string=to_html(report), base_url=None).write_pdf()
    if pdf is None:  # pragma: no cover - write_pdf without a target always returns bytes
        raise RuntimeError("WeasyPrint returned no PDF")
    return bytes(pdf)
