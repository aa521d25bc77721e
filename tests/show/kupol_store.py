"""A small real store for the workspace and report tests, built with the real readers.

Cut from ``../shared/data`` (never rewritten there): the OFAC SDN rows whose name or
remarks mention the Kupol network (Kupol, Almaz-Antey, TSK Vektor, Aerokon, Laggar,
Redlepus, Vektor) in the 2021-07-07 and 2024-05-03 publications, with their aliases,
addresses and remark continuations from the 2021-07-07 and 2025-12-24 companion files;
the whole ZALA Aero FtM network (``ftm/zala_entities.ftm.json``), which carries
ownership edges with percentages; and, for the document screens, the Reuters report
``documents/reuters-kupol-garpiya-china.txt`` through the documents pipeline. Loading
the full SDN list takes about a minute on this machine; the slice loads in seconds and
holds the same kinds of rows.
"""

from __future__ import annotations

import re
from pathlib import Path

from dualtrace.sources.ftm import read_ftm
from dualtrace.sources.ofac_sdn import read_ofac_sdn
from dualtrace.store import Store

NETWORK = re.compile(r"KUPOL|ALMAZ|VEKTOR|REDLEPUS|VECTOR IND|AEROKON|LAGGAR", re.IGNORECASE)
PRIMARY = ("sdn_2021-07-07.csv", "sdn_2024-05-03.csv")
COMPANIONS = (
    "alt_2021-07-07.csv",
    "add_2021-07-07.csv",
    "sdn_comments_2021-07-07.csv",
    "alt_2025-12-24.csv",
    "add_2025-12-24.csv",
    "sdn_comments_2025-12-24.csv",
)


def cut_ofac_slice(shared_data: Path, target: Path) -> set[str]:
    """Write the Kupol-network slice of the OFAC CSV set to ``target``; returns ent_nums."""
    src = shared_data / "lists" / "ofac-sdn"
    target.mkdir(parents=True, exist_ok=True)
    ent_nums: set[str] = set()
    for name in PRIMARY:
        raw = (src / name).read_bytes().decode("utf-8", errors="strict")
        lines = [ln for ln in raw.splitlines(keepends=True) if NETWORK.search(ln)]
        ent_nums |= {ln.split(",", 1)[0] for ln in lines}
        (target / name).write_text("".join(lines), encoding="utf-8")
    for name in COMPANIONS:
        raw = (src / name).read_bytes().decode("utf-8", errors="strict")
        lines = [ln for ln in raw.splitlines(keepends=True) if ln.split(",", 1)[0] in ent_nums]
        (target / name).write_text("".join(lines), encoding="utf-8")
    return ent_nums


def build_kupol_store(
    shared_data: Path, workdir: Path, documents: bool = False, trade_rows: int = 0
) -> Path:
    """Load the OFAC slice (two versions) and the ZALA FtM network into a new store;
    with ``documents`` also the Reuters report (graded B2: reliable source, probably true);
    with ``trade_rows`` also that many SYNTHETIC trade records from the trade capability's
    generator (real SDN names with noise, the planted Kupol / TSK Vektor / Redlepus route),
    loaded and party-resolved by the trade capability."""
    slice_dir = workdir / "ofac-sdn-kupol-slice"
    cut_ofac_slice(shared_data, slice_dir)
    path = workdir / "kupol.duckdb"
    with Store.open(path) as store:
        for result in read_ofac_sdn(slice_dir):
            store.load(result.dataset, result.version, result.statements(), result.report)
        zala = read_ftm(shared_data / "ftm" / "zala_entities.ftm.json", dataset="zala_ftm")
        store.load(zala.dataset, zala.version, zala.statements(), zala.report)
        if documents:
            from dualtrace.documents.loading import load_documents

            report = load_documents(
                store,
                shared_data / "documents" / "reuters-kupol-garpiya-china.txt",
                source="Reuters",
                reliability="B",
                credibility=2,
            )
            assert report.loaded == 1, report.to_dict()
        if trade_rows:
            from dualtrace.trade.linkage.party_resolution import resolve_parties
            from dualtrace.trade.loader import load_trade
            from dualtrace.trade.synth import write_synthetic

            csv_path = workdir / "synthetic-trade.csv"
            write_synthetic(csv_path, trade_rows, 1, shared_data)
            load_trade(store, csv_path)
            resolve_parties(store)
    return path
