"""Every reader of outside data, as a fuzzing target: bytes in, one of three outcomes out.

A reader fed hostile bytes must either load them or raise the project's
:class:`~dualtrace.errors.InputError`; anything else (another exception, a hang) is a
bug, because the CLI would print a traceback and the server would answer 500. This
module is shared by the bounded property-based run in the test suite
(``tests/security/test_fuzz_readers.py``, hypothesis) and the long coverage-guided run
(``bench/fuzz.py``, atheris), so both exercise the same calls.

Seeds are small cuts of real files from the shared data folder (or, for binary formats
no public file is shipped in, built here from real text), so mutations start from
inputs the reader mostly accepts and reach its deep paths, not just its first check.
Each target imports its reader lazily: a reader under construction elsewhere breaks its
own target, not the harness.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dualtrace.errors import InputError

SEED_BYTES = 6_000
Outcome = Literal["loaded", "input_error", "crash", "hang"]


class ReaderHang(BaseException):
    """Raised by the alarm when a reader runs past its time limit (a BaseException, so a
    reader's own ``except Exception`` cannot turn a hang into a tidy InputError)."""


@dataclass(frozen=True)
class Seed:
    """A cut of a real file: ``path`` under the shared data folder, first ``limit`` bytes
    (ending at a line break), or bytes built by ``build`` from the data folder."""

    path: str | None = None
    limit: int = SEED_BYTES
    build: Callable[[Path], bytes] | None = None

    def load(self, data_dir: Path) -> bytes:
        if self.build is not None:
            return self.build(data_dir)
        assert self.path is not None
        raw = (data_dir / self.path).read_bytes()
        if len(raw) <= self.limit:
            return raw
        cut = raw[: self.limit]
        newline = cut.rfind(b"\n")
        return cut[: newline + 1] if newline > 0 else cut


@dataclass(frozen=True)
class ReaderTarget:
    """One reader: the file name the bytes are written under, its seeds, and how to
    call it (``run(path_of_bytes, workdir)``, consuming every statement it yields)."""

    name: str
    module: str
    file_name: str
    seeds: tuple[Seed, ...]
    run: Callable[[Path, Path], int]
    kind: Literal["csv", "xml", "json", "text", "zip", "pdf", "html", "email", "parquet", "image"]


def _consume(result: Any) -> int:
    """Pull every statement out of a ReadResult (or list of them): lazy readers fail
    only when iterated, so a reader is not done until its last statement is read."""
    results = result if isinstance(result, list) else [result]
    count = 0
    for r in results:
        for _ in r.statements():
            count += 1
    return count


def _ofac_sdn(path: Path, work: Path) -> int:
    from dualtrace.sources.ofac_sdn import read_ofac_sdn

    return _consume(read_ofac_sdn(path))


def _ofac_xml(path: Path, work: Path) -> int:
    from dualtrace.sources.ofac_xml import read_ofac_xml

    return _consume(read_ofac_xml(path))


def _eu_xml(path: Path, work: Path) -> int:
    from dualtrace.sources.eu import read_eu_xml

    return _consume(read_eu_xml(path))


def _eu_journal(path: Path, work: Path) -> int:
    from dualtrace.sources.eu import read_eu_journal_csv

    return _consume(read_eu_journal_csv(path))


def _un_xml(path: Path, work: Path) -> int:
    from dualtrace.sources.un import read_un_xml

    return _consume(read_un_xml(path))


def _uk_hmt(path: Path, work: Path) -> int:
    from dualtrace.sources.uk import read_hmt_csv

    return _consume(read_hmt_csv(path))


FCDO_TABLES = (
    "subjects.csv",
    "subject_names.csv",
    "subject_identifiers.csv",
    "subject_dobs.csv",
    "subject_countries.csv",
)


def _uk_fcdo(path: Path, work: Path) -> int:
    """The fuzzed bytes are the subjects table; the other four are real cuts."""
    from dualtrace.sources.uk import read_fcdo_tables

    folder = work / "fcdo"
    folder.mkdir(exist_ok=True)
    (folder / "subjects.csv").write_bytes(path.read_bytes())
    data_dir = _DATA_DIR[0]
    for name in FCDO_TABLES[1:]:
        target = folder / name
        if not target.exists():
            target.write_bytes(Seed(f"lists/uk-transformed/{name}", 3000).load(data_dir))
    return _consume(read_fcdo_tables(folder))


def _us_csl(path: Path, work: Path) -> int:
    from dualtrace.sources.us_csl import read_csl

    return _consume(read_csl(path))


def _us_dpl(path: Path, work: Path) -> int:
    from dualtrace.sources.us_csl import read_dpl

    return _consume(read_dpl(path))


def _ftm(path: Path, work: Path) -> int:
    from dualtrace.sources.ftm import read_ftm

    return _consume(read_ftm(path, dataset="fuzz"))


def _meti(path: Path, work: Path) -> int:
    from dualtrace.sources.jp_meti import read_meti

    return _consume(read_meti([path]))


def _static(name: str) -> Callable[[Path, Path], int]:
    def run(path: Path, work: Path) -> int:
        from dualtrace.sources.static_lists import read_static_list

        return _consume(read_static_list(name, path))

    return run


def _document(path: Path, work: Path) -> int:
    from dualtrace.sources.documents.ingest import IngestLimits, ingest_bytes

    doc = ingest_bytes(path.read_bytes(), path.name, IngestLimits(ocr=False))
    return len(doc.text)


def _document_ocr(path: Path, work: Path) -> int:
    from dualtrace.sources.documents.ingest import IngestLimits, ingest_bytes

    doc = ingest_bytes(path.read_bytes(), path.name, IngestLimits(ocr=True))
    return len(doc.text)


def _trade_csv(path: Path, work: Path) -> int:
    from dualtrace.model.provenance import LoadReport
    from dualtrace.trade.readers import read_csv_table

    table = read_csv_table(path, LoadReport("fuzz", ""))
    return sum(1 for _ in table.rows)


def _trade_excel(path: Path, work: Path) -> int:
    from dualtrace.model.provenance import LoadReport
    from dualtrace.trade.readers import read_excel_table

    table = read_excel_table(path, LoadReport("fuzz", ""))
    return sum(1 for _ in table.rows)


def _trade_parquet(path: Path, work: Path) -> int:
    from dualtrace.model.provenance import LoadReport
    from dualtrace.trade.readers import read_parquet_table

    table = read_parquet_table(path, LoadReport("fuzz", ""))
    return sum(1 for _ in table.rows)


# Data folder for targets that need companion files (set by :func:`load_seeds`).
_DATA_DIR: list[Path] = [Path(".")]

REUTERS = "documents/reuters-kupol-garpiya-china.txt"


def _reuters_text(data_dir: Path, limit: int = 3000) -> str:
    return Seed(REUTERS, limit).load(data_dir).decode("utf-8", "replace")


def _build_html(data_dir: Path) -> bytes:
    paras = "".join(f"<p>{p}</p>\n" for p in _reuters_text(data_dir).split("\n") if p.strip())
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Kupol</title></head>"
        f"<body><article>{paras}</article></body></html>"
    ).encode()


def _build_eml(data_dir: Path) -> bytes:
    body = _reuters_text(data_dir)
    return (
        "From: desk@example.org\r\nTo: analyst@example.org\r\n"
        "Subject: Garpiya-3 shipment\r\nDate: Fri, 13 Sep 2024 10:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body
    ).encode()


def _build_docx(data_dir: Path) -> bytes:
    import docx

    document = docx.Document()
    for para in _reuters_text(data_dir).split("\n")[:15]:
        if para.strip():
            document.add_paragraph(para)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _build_pdf(data_dir: Path) -> bytes:
    """A one-page PDF with real text, written by hand (no PDF writer is a dependency)."""
    lines = [ln for ln in _reuters_text(data_dir, 1200).split("\n") if ln.strip()][:6]
    safe = [
        ln[:90]
        .encode("latin-1", "replace")
        .replace(b"\\", b"")
        .replace(b"(", b"[")
        .replace(b")", b"]")
        for ln in lines
    ]
    ops = b"BT /F1 10 Tf 40 780 Td 12 TL " + b" ".join(b"(" + s + b") '" for s in safe) + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(ops)).encode() + b" >>\nstream\n" + ops + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def _build_png(data_dir: Path) -> bytes:
    """A small scan-like PNG of the report's first words (OCR makes big ones slow)."""
    from PIL import Image, ImageDraw

    words = " ".join(_reuters_text(data_dir, 400).split()[:3])
    image = Image.new("L", (220, 40), 255)
    ImageDraw.Draw(image).text((5, 12), words, fill=0)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _build_xlsx(data_dir: Path) -> bytes:
    import csv

    import openpyxl  # type: ignore[import-untyped]

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    text = Seed("linkage/splink/fake_1000.csv", 2500).load(data_dir).decode("utf-8")
    for row in csv.reader(text.splitlines()):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _build_parquet(data_dir: Path) -> bytes:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    raw = Seed("linkage/splink/fake_1000.csv", 2500).load(data_dir)
    table = pacsv.read_csv(io.BytesIO(raw))
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


TARGETS: tuple[ReaderTarget, ...] = (
    ReaderTarget(
        "ofac_sdn_csv",
        "dualtrace.sources.ofac_sdn",
        "sdn_2021-07-07.csv",
        (Seed("lists/ofac-sdn/sdn_2021-07-07.csv"),),
        _ofac_sdn,
        "csv",
    ),
    ReaderTarget(
        "ofac_xml",
        "dualtrace.sources.ofac_xml",
        "sdn_advanced.xml",
        (Seed("lists/format-samples/sample_ofac_consolidated.xml", 20_000),),
        _ofac_xml,
        "xml",
    ),
    ReaderTarget(
        "eu_xml",
        "dualtrace.sources.eu",
        "sample_eu.xml",
        (Seed("lists/format-samples/sample_eu.xml", 20_000),),
        _eu_xml,
        "xml",
    ),
    ReaderTarget(
        "eu_journal_csv",
        "dualtrace.sources.eu",
        "32014R0833.csv",
        (Seed("lists/eu-journal/consolidated/32014R0833.csv"),),
        _eu_journal,
        "csv",
    ),
    ReaderTarget(
        "un_xml",
        "dualtrace.sources.un",
        "UN_consolidated.xml",
        (Seed("lists/format-samples/sample_unsc.xml", 20_000),),
        _un_xml,
        "xml",
    ),
    ReaderTarget(
        "uk_hmt_csv",
        "dualtrace.sources.uk",
        "sample_hmt.csv",
        (Seed("lists/format-samples/sample_hmt.csv", 8_000),),
        _uk_hmt,
        "csv",
    ),
    ReaderTarget(
        "uk_fcdo_tables",
        "dualtrace.sources.uk",
        "subjects.csv",
        (Seed("lists/uk-transformed/subjects.csv", 3_000),),
        _uk_fcdo,
        "csv",
    ),
    ReaderTarget(
        "us_csl",
        "dualtrace.sources.us_csl",
        "consolidated_csl.csv",
        (Seed("lists/us-csl/consolidated_csl.csv"),),
        _us_csl,
        "csv",
    ),
    ReaderTarget(
        "us_dpl",
        "dualtrace.sources.us_csl",
        "dpl_bis_denied_persons.txt",
        (Seed("lists/us-csl/dpl_bis_denied_persons.txt"),),
        _us_dpl,
        "csv",
    ),
    ReaderTarget(
        "ftm_json",
        "dualtrace.sources.ftm",
        "entities.ftm.json",
        (Seed("ftm/t1_entities.ftm.json", 7_200),),
        _ftm,
        "json",
    ),
    ReaderTarget(
        "jp_meti",
        "dualtrace.sources.jp_meti",
        "list_belarus_tokutei.pdf.txt",
        (Seed("lists/opensanctions-static/jp_meti_ru/list_belarus_tokutei.pdf.txt"),),
        _meti,
        "text",
    ),
    ReaderTarget(
        "static_us_bis_mieu",
        "dualtrace.sources.static_lists",
        "mieu.csv",
        (Seed("lists/opensanctions-static/us_bis_mieu/mieu.csv"),),
        _static("us_bis_mieu"),
        "csv",
    ),
    ReaderTarget(
        "document_text",
        "dualtrace.sources.documents.ingest",
        "report.txt",
        (Seed(REUTERS, 4_000),),
        _document,
        "text",
    ),
    ReaderTarget(
        "document_html",
        "dualtrace.sources.documents.ingest",
        "report.html",
        (Seed(build=_build_html),),
        _document,
        "html",
    ),
    ReaderTarget(
        "document_email",
        "dualtrace.sources.documents.ingest",
        "message.eml",
        (Seed(build=_build_eml),),
        _document,
        "email",
    ),
    ReaderTarget(
        "document_docx",
        "dualtrace.sources.documents.ingest",
        "report.docx",
        (Seed(build=_build_docx),),
        _document,
        "zip",
    ),
    ReaderTarget(
        "document_pdf",
        "dualtrace.sources.documents.ingest",
        "report.pdf",
        (Seed(build=_build_pdf),),
        _document,
        "pdf",
    ),
    ReaderTarget(
        "document_image",
        "dualtrace.sources.documents.ingest",
        "scan.png",
        (Seed(build=_build_png),),
        _document_ocr,
        "image",
    ),
    ReaderTarget(
        "trade_csv",
        "dualtrace.trade.readers",
        "shipments.csv",
        (Seed("linkage/splink/fake_1000.csv"),),
        _trade_csv,
        "csv",
    ),
    ReaderTarget(
        "trade_excel",
        "dualtrace.trade.readers",
        "shipments.xlsx",
        (Seed(build=_build_xlsx),),
        _trade_excel,
        "zip",
    ),
    ReaderTarget(
        "trade_parquet",
        "dualtrace.trade.readers",
        "shipments.parquet",
        (Seed(build=_build_parquet),),
        _trade_parquet,
        "parquet",
    ),
)


def load_seeds(target: ReaderTarget, data_dir: Path) -> list[bytes]:
    _DATA_DIR[0] = data_dir
    return [seed.load(data_dir) for seed in target.seeds]


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`ReaderHang` in the main thread after ``seconds`` (POSIX alarm)."""

    def on_alarm(signum: int, frame: object) -> None:
        raise ReaderHang(f"reader still running after {seconds}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    detail: str = ""


def run_target(
    target: ReaderTarget, data: bytes, workdir: Path | None = None, timeout: float = 10.0
) -> RunResult:
    """Feed ``data`` to ``target`` once and classify what happened."""
    with contextlib.ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dt-fuzz-")))
        path = workdir / target.file_name
        path.write_bytes(data)
        try:
            with time_limit(timeout):
                target.run(path, workdir)
        except InputError as exc:
            message = str(exc)
            if "\n" in message.strip():
                return RunResult("crash", f"InputError spans lines: {message[:200]!r}")
            return RunResult("input_error", message[:300])
        except ReaderHang as exc:
            return RunResult("hang", str(exc))
        except Exception as exc:
            return RunResult("crash", f"{type(exc).__name__}: {str(exc)[:300]}")
        finally:
            path.unlink(missing_ok=True)
    return RunResult("loaded")


def run_isolated(
    target: ReaderTarget,
    data: bytes,
    data_dir: Path,
    timeout: float = 60.0,
    startup_timeout: float = 300.0,
) -> tuple[RunResult, float]:
    """:func:`run_target` in a child process that is killed ``timeout`` seconds after
    it has imported the reader: for inputs (bombs) where a reader may sit in C code an
    alarm cannot interrupt. Interpreter start-up is not counted (it can take many
    seconds on a busy machine). Returns the result and how far the child's peak memory
    grew, in MB, above what it had after importing the reader (some readers load
    language models at import)."""
    with tempfile.TemporaryDirectory(prefix="dt-iso-") as tmp:
        work = Path(tmp)
        (work / "input.bin").write_bytes(data)
        code = (
            "import importlib, json, resource\n"
            "from pathlib import Path\n"
            "from dualtrace.security import reader_fuzzing as rf\n"
            f"rf._DATA_DIR[0] = Path({str(data_dir)!r})\n"
            f"t = next(x for x in rf.TARGETS if x.name == {target.name!r})\n"
            "importlib.import_module(t.module)\n"
            f"w = Path({str(work)!r})\n"
            "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
            "(w / 'ready').write_text('ready')\n"
            "r = rf.run_target(t, (w / 'input.bin').read_bytes(), w, timeout=1e6)\n"
            "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
            "(w / 'result.json').write_text(json.dumps([r.outcome, r.detail, peak - base]))\n"
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + startup_timeout
        while not (work / "ready").exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                _, err = proc.communicate()
                return RunResult("crash", f"child did not start: {err[-300:]!r}"), 0.0
            time.sleep(0.05)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return RunResult("hang", f"reader still running after {timeout}s"), float("nan")
        result = work / "result.json"
        if not result.exists():
            return RunResult("crash", f"child died ({proc.returncode}): {err[-300:]!r}"), 0.0
        outcome, detail, grown = json.loads(result.read_text())
        return RunResult(outcome, detail), float(grown)


# ---------------------------------------------------------------------------- bombs


def billion_laughs(root: str = "root") -> bytes:
    """The classic entity-expansion document: 10 levels x 10 = 10^9 'lol's if expanded."""
    ents = ['<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        refs = "".join(f"&lol{i - 1};" for _ in range(10))
        ents.append(f'<!ENTITY lol{i} "{refs}">')
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE {root} [\n'
        + "\n".join(ents)
        + f"\n]>\n<{root}>&lol9;</{root}>\n"
    ).encode()


def external_entity(root: str = "root") -> bytes:
    """XXE: an entity that would read a local file if resolved."""
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        f"<{root}>&xxe;</{root}>\n"
    ).encode()


# Well-formed expansions: the member stays valid XML, so a reader that only stops at
# parse errors would stream all of it. (cut marker, repeated element, closing tags)
WELL_FORMED_FILLERS: dict[str, tuple[bytes, bytes, bytes]] = {
    "xl/worksheets/sheet1.xml": (
        b"</row>",
        b'<row><c t="inlineStr"><is><t>AAAAAAAA</t></is></c></row>',
        b"</sheetData></worksheet>",
    ),
    "word/document.xml": (
        b"<w:body>",
        b"<w:p><w:r><w:t>Garpiya-3 Garpiya-3 Garpiya-3</w:t></w:r></w:p>",
        b"</w:body></w:document>",
    ),
}


def zip_bomb(template: bytes, size: int = 512 * 1024 * 1024, well_formed: bool = False) -> bytes:
    """``template`` (a zip container such as .docx/.xlsx) with its largest member
    inflated to ``size`` bytes that compress about 1000:1 (a few hundred KB on disk):
    zeros, or with ``well_formed`` valid repeated XML elements."""
    src = zipfile.ZipFile(io.BytesIO(template))
    names = src.namelist()
    victim = max(names, key=lambda n: src.getinfo(n).file_size)
    filler: tuple[bytes, bytes, bytes] | None = None
    if well_formed:
        victim = next(n for n in names if n in WELL_FORMED_FILLERS)
        filler = WELL_FORMED_FILLERS[victim]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for name in names:
            if name != victim:
                dst.writestr(name, src.read(name))
                continue
            with dst.open(name, "w", force_zip64=True) as fh:
                if filler is None:
                    chunk = b"\0" * (1 << 20)
                    for _ in range(size // len(chunk)):
                        fh.write(chunk)
                    continue
                original = src.read(name)
                marker, element, closing = filler
                head = original[: original.index(marker) + len(marker)]
                # a declared sheet size would let a reader stop early; attackers omit it
                head = re.sub(rb"<dimension [^>]*/>", b"", head)
                fh.write(head)
                chunk = element * ((1 << 20) // len(element))
                for _ in range(size // len(chunk)):
                    fh.write(chunk)
                fh.write(closing)
    return out.getvalue()


def image_bomb(template_png: bytes, width: int = 60_000, height: int = 60_000) -> bytes:
    """A small PNG whose header claims ``width`` x ``height`` pixels (3.6 gigapixels by
    default): a decoder that trusts the header allocates gigabytes."""
    if template_png[12:16] != b"IHDR":
        raise ValueError("not a PNG with an IHDR chunk first")
    header = struct.pack(">II", width, height) + template_png[24:29]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + header) & 0xFFFFFFFF)
    return template_png[:16] + header + crc + template_png[33:]
