"""Cut the demo slice shipped in dualtrace/demo/data from OFAC's public-domain SDN CSVs.

Source: ../shared/data/lists/ofac-sdn/ (US Treasury OFAC, public domain): the primary
list of 2024-05-03 and the alias/address/comment files of 2025-12-24. The slice keeps
every non-individual entry under the RUSSIA-EO14024 program (companies, vessels,
aircraft: the Russian military-industrial base, including IEMZ Kupol and Almaz-Antey)
with its aliases and addresses, byte for byte in OFAC's own format.

Run: .venv/bin/python scripts/make_demo_slice.py
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO.parent / "shared" / "data" / "lists" / "ofac-sdn"
OUT = REPO / "dualtrace" / "demo" / "data"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    keep: set[str] = set()
    lines = (SRC / "sdn_2024-05-03.csv").read_text(encoding="utf-8").rstrip("\x1a").splitlines()
    out_lines = []
    for line in lines:
        fields = next(csv.reader(io.StringIO(line)))
        if (
            len(fields) == 12
            and "RUSSIA-EO14024" in fields[3]
            and fields[2].strip() != "individual"
        ):
            keep.add(fields[0].strip())
            out_lines.append(line)
    (OUT / "sdn_2024-05-03.csv").write_text("\r\n".join(out_lines) + "\r\n", encoding="utf-8")
    for name in ("alt_2025-12-24.csv", "add_2025-12-24.csv"):
        text = (SRC / name).read_text(encoding="utf-8").rstrip("\x1a")
        kept = [ln for ln in text.splitlines() if ln.split(",", 1)[0].strip() in keep]
        (OUT / name).write_text("\r\n".join(kept) + "\r\n", encoding="utf-8")
    print(f"kept {len(keep)} entries in {OUT}")


if __name__ == "__main__":
    main()
