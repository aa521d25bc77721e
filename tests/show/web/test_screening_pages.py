"""Screening from the workspace with the real screening index over the real store:
one query, and a CSV batch run as a background job with progress and exports."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dualtrace.show.web.router import create_web_router

KUPOL = "ofac-46431"


@pytest.fixture(scope="module")
def client(kupol_store_path: Path) -> Iterator[TestClient]:
    app = FastAPI()
    router = create_web_router(kupol_store_path)
    app.include_router(router)
    with TestClient(app) as c:
        yield c
    router.workspace.close()  # type: ignore[attr-defined]


def test_one_query_across_scripts_with_reasons(client: TestClient) -> None:
    page = client.post(
        "/web/screen", data={"name": "АО «ИЭМЗ «Купол»", "schema": "Company", "country": "ru"}
    ).text
    first = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert f'href="/web/entities/{KUPOL}"' in first  # best candidate across scripts
    # the scorer's reason, in words: which name parts it aligned across scripts
    assert re.search(r"aligned [^<]*kupol", first)
    empty = client.post("/web/screen", data={"name": "  "})
    assert empty.status_code == 400 and "enter a name" in empty.text


def test_batch_job_progress_results_and_exports(client: TestClient) -> None:
    data = b"name,country,ref\nTSK Vektor,ru,C-2\nEmma Daniels,,C-3\n"
    started = client.post(
        "/web/screen/batch",
        files={"file": ("clients.csv", data, "text/csv")},
        follow_redirects=False,
    )
    assert started.status_code == 303
    job_url = started.headers["location"]
    deadline = time.monotonic() + 60
    while not client.get(f"{job_url}/progress").json()["done"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    progress = client.get(f"{job_url}/progress").json()
    assert progress["rows"] == 2 and progress["rows_done"] == 2 and progress["error"] is None
    page = client.get(job_url).text
    assert "TSK VEKTOR, OOO" in page and 'http-equiv="refresh"' not in page
    exported = client.get(f"{job_url}/results.csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    # the best candidate and its reasons; whether it crosses the match threshold is the
    # scorer's calibration (it weighs name rarity over the whole index, small here)
    vektor = [r for r in rows if r["ref"] == "C-2"]
    assert vektor and vektor[0]["entity_id"] == "ofac-46441"
    assert "vektor" in vektor[0]["explanation"] and float(vektor[0]["score"]) > 0.3
    assert not [r for r in rows if r["ref"] == "C-3" and r["match"] == "True"]
    xlsx = client.get(f"{job_url}/results.xlsx")
    assert xlsx.content[:2] == b"PK"
    bad = client.post(
        "/web/screen/batch", files={"file": ("x.csv", b"city\nIzhevsk\n", "text/csv")}
    )
    assert bad.status_code == 400 and "no name column" in bad.text
