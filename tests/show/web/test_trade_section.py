"""Trade flows on the profile and in the report: lines where the entity is a resolved
party, charts over time / by route / by HS tier, each line citing its source row."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from fastapi import FastAPI
from fastapi.testclient import TestClient

from dualtrace.show.report import render
from dualtrace.show.report.dossier import build_dossier
from dualtrace.show.report.trade_flows import entity_trade
from dualtrace.show.web.router import create_web_router
from dualtrace.store import Store

TSK_VEKTOR = "ofac-46441"


def test_trade_lines_of_a_resolved_party(kupol_trade_store_path: Path) -> None:
    with Store.open(kupol_trade_store_path) as st:
        flows = entity_trade(st, {TSK_VEKTOR})
        expected = st.con.execute(
            "SELECT count(*) FROM trade_records WHERE truth_importer = 'ofac-46441' "
            "OR truth_exporter = 'ofac-46441'"
        ).fetchone()
        section = render.trade_section(st, build_dossier(st, TSK_VEKTOR))
    assert flows is not None and flows.lines
    # every line found is one the generator planted for TSK Vektor (no false party)
    assert expected is not None and 0 < len(flows.lines) <= expected[0]
    assert ("CN → RU", len(flows.lines), flows.risky) in flows.by_route
    assert all(line.source_file == "synthetic-trade.csv" for line in flows.lines)
    for svg in section["charts"].values():
        assert ElementTree.fromstring(svg).tag.endswith("svg")


def test_profile_and_report_show_trade(kupol_trade_store_path: Path) -> None:
    app = FastAPI()
    router = create_web_router(kupol_trade_store_path)
    app.include_router(router)
    with TestClient(app) as client:
        page = client.get(f"/web/entities/{TSK_VEKTOR}").text
        report = client.get(f"/web/entities/{TSK_VEKTOR}/report.html").text
        kupol = client.get("/web/entities/ofac-46431").text
    router.workspace.close()  # type: ignore[attr-defined]
    table = page.split('id="trade-lines"', 1)[1].split("</table>", 1)[0]
    assert "REDLEPUS" in table and "synthetic-trade.csv row" in table
    assert page.count("<svg") >= 3 and "Lines per route" in page
    assert "Lines per HS risk tier" in report and "synthetic-trade.csv row" in report
    assert "No trade record names this entity." in kupol or 'id="trade-lines"' in kupol


def test_red_flags_page_for_the_planted_route(kupol_trade_store_path: Path) -> None:
    app = FastAPI()
    router = create_web_router(kupol_trade_store_path)
    app.include_router(router)
    with TestClient(app) as client:
        page = client.get(f"/web/entities/{TSK_VEKTOR}/ownership").text
    router.workspace.close()  # type: ignore[attr-defined]
    table = page.split('id="red-flags"', 1)[1].split("</table>", 1)[0]
    assert "RF-CURRENCY" in table and "invoiced in CNY" in table  # yuan for goods to RU
    assert "FIN-2023-Alert004" in table  # each flag cites its guidance
    assert "Risk score" in page
