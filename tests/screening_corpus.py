"""A small real screening corpus: slices of the OFAC SDN and EU journal files.

Full lists take a minute to read; these slices keep the rows the must-hold cases are
about (IEMZ Kupol, TSK Vektor, Redlepus, Almaz-Antey, EMMA LLC and their neighbours)
plus the first rows of each file, so that token rarity is learned from a few thousand
real entities. Every row is copied verbatim; files keep their real names so the
readers derive the same dataset names and versions.

OFAC: ../shared/data/lists/ofac-sdn/sdn_2024-05-03.csv (first 3,000 rows + ent_nums in
KEEP_OFAC), alt_/add_2025-12-24.csv rows for the kept ent_nums.
EU: ../shared/data/lists/eu-journal/consolidated/32014R0269.csv (first 600 data rows +
recordIds in KEEP_EU_0269) and 32014R0833.csv (first 400 + KEEP_EU_0833).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from dualtrace.sources.eu import read_eu_journal_csv
from dualtrace.sources.ofac_sdn import read_ofac_sdn
from dualtrace.store import Store

KEEP_OFAC = {
    "46431",  # JOINT STOCK COMPANY IZHEVSK ELECTROMECHANICAL PLANT KUPOL
    "46441",  # TSK VEKTOR, OOO
    "16865",  # JOINT STOCK COMPANY AEROSPACE DEFENSE CONCERN ALMAZ-ANTEY
    "17258",  # ... ALMAZ-ANTEY AIR DEFENSE CONCERN MAIN SYSTEM DESIGN BUREAU ...
    "37527",  # ... NORTH WESTERN REGIONAL CENTER OF ALMAZ ANTEY CONCERN OBUKHOVSKY PLANT
    "29857",  # EMMA LLC
    "29858",  # EMMA TEL LLC
    "29860",  # EMMA TEL PLUS LLC
    "43999",  # TECHNOLOGIES SYSTEMS AND COMPLEXES LIMITED (a.k.a. TSK)
    "46442",  # LAGGAR PRO, OOO
}
KEEP_EU_0269 = {"141", "503", "504", "505", "502", "262", "1873"}
KEEP_EU_0833 = {"516", "791", "431"}
OFAC_ROWS = 3000
EU_0269_ROWS = 600
EU_0833_ROWS = 400

OFAC_ID = {
    "kupol": "ofac-46431",
    "vektor": "ofac-46441",
    "almaz": "ofac-16865",
    "emma": "ofac-29857",
}


def _slice_ofac(src: Path, dst: Path) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    kept: set[str] = set()
    lines = (src / "sdn_2024-05-03.csv").read_bytes().decode("utf-8").splitlines(keepends=True)
    out = []
    for n, line in enumerate(lines):
        ent = line.split(",", 1)[0]
        if n < OFAC_ROWS or ent in KEEP_OFAC:
            out.append(line)
            kept.add(ent)
    (dst / "sdn_2024-05-03.csv").write_text("".join(out), encoding="utf-8")
    for name in ("alt_2025-12-24.csv", "add_2025-12-24.csv"):
        rows = (src / name).read_bytes().decode("utf-8").splitlines(keepends=True)
        keep = [r for r in rows if r.split(",", 1)[0] in kept]
        (dst / name).write_text("".join(keep), encoding="utf-8")


def _slice_eu(src: Path, dst: Path, first: int, keep: set[str]) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    text = src.read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    rid = header.index("recordId")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for n, row in enumerate(reader):
        if n < first or row[rid] in keep:
            writer.writerow(row)
    dst.write_text(buf.getvalue(), encoding="utf-8")


def build_corpus_store(shared_data: Path, workdir: Path) -> Path:
    """Slice the real files into ``workdir`` and load them into a store there."""
    lists = shared_data / "lists"
    _slice_ofac(lists / "ofac-sdn", workdir / "ofac-sdn")
    eu = lists / "eu-journal" / "consolidated"
    _slice_eu(eu / "32014R0269.csv", workdir / "eu" / "32014R0269.csv", EU_0269_ROWS, KEEP_EU_0269)
    _slice_eu(eu / "32014R0833.csv", workdir / "eu" / "32014R0833.csv", EU_0833_ROWS, KEEP_EU_0833)
    store_path = workdir / "screening.duckdb"
    with Store.open(store_path) as store:
        results = [
            *read_ofac_sdn(workdir / "ofac-sdn"),
            read_eu_journal_csv(workdir / "eu" / "32014R0269.csv"),
            read_eu_journal_csv(workdir / "eu" / "32014R0833.csv"),
        ]
        for res in results:
            store.load(res.dataset, res.version, res.statements(), res.report)
    return store_path


_BUILT: dict[Path, Path] = {}


def shared_corpus_store(shared_data: Path, base: Path) -> Path:
    """The corpus store, built once per test process under ``base`` (read it read-only)."""
    if base not in _BUILT:
        workdir = base / "screening-corpus"
        workdir.mkdir(parents=True, exist_ok=True)
        _BUILT[base] = build_corpus_store(shared_data, workdir)
    return _BUILT[base]
