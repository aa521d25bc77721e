"""Hostile input, bounded: every reader of outside data is fed mutated real files and
must load them or raise InputError (one line), never another exception, never hang.
XML readers refuse entity expansion and external entities; zip-based readers refuse
zip bombs without inflating them. ``bench/fuzz.py`` runs the same targets for longer,
coverage-guided."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dualtrace.sources
from dualtrace.security.reader_fuzzing import (
    TARGETS,
    ReaderTarget,
    billion_laughs,
    external_entity,
    image_bomb,
    load_seeds,
    run_isolated,
    run_target,
    zip_bomb,
)

EXAMPLES_PER_READER = 12
TOKENS = (
    b'"',
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r\n",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b"\xe2\x80",
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"&#0;",
    b"&#1114112;",
    b"]]>",
    b"<!--",
    b"<?xml ?>",
    b"<!DOCTYPE x>",
    b"{",
    b"}",
    b"[",
    b"]",
    b"null",
    b'"schema":',
    b"\\u0000",
    b"-0-",
    b"9" * 40,
    b"1e999",
    b"NaN",
    b"2024-02-30",
    b"\xd0\x9a\xd1\x83\xd0\xbf\xd0\xbe\xd0\xbb",
    b"%PDF-1.4",
    b"PK\x03\x04",
    b"obj",
    b"endobj",
    b"stream",
    b"/Length 99999999",
    b"Content-Type: multipart/mixed; boundary=x\r\n",
    b"=?utf-8?b?AAAA?=",
    b"<script>",
)


@st.composite
def mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    """A real file with 1-6 edits: byte flips, token inserts, cuts, duplicated spans."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "token", "delete", "duplicate", "truncate", "random"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "token":
            data[pos:pos] = draw(st.sampled_from(TOKENS)) * draw(st.integers(1, 3))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 200))]
        elif op == "duplicate":
            span = bytes(data[pos : pos + draw(st.integers(1, 500))])
            data[pos:pos] = span * draw(st.integers(1, 4))
        elif op == "truncate":
            del data[pos:]
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
    return bytes(data)


# Findings of this suite in readers owned by others, reported to their owners; each is
# an expected failure until fixed (non-strict, so the fix needs no edit here first).
KNOWN_BUGS: dict[str, str] = {}
KNOWN_BOMB_BUGS: dict[str, str] = {}


def _target_param(target: ReaderTarget) -> object:
    reason = KNOWN_BUGS.get(target.name)
    marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
    return pytest.param(target, id=target.name, marks=marks)


@pytest.mark.parametrize("target", [_target_param(t) for t in TARGETS])
def test_reader_loads_or_raises_input_error(
    target: ReaderTarget, shared_data: Path, tmp_path: Path
) -> None:
    seeds = load_seeds(target, shared_data)
    assert run_target(target, seeds[0], tmp_path).outcome == "loaded"  # the seed is sound
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES_PER_READER,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        raw = data.draw(mutations(data.draw(st.sampled_from(seeds))))
        result = run_target(target, raw, tmp_path, timeout=60)
        if result.outcome in ("crash", "hang"):
            failures.append(f"{result.outcome}: {result.detail}")
        assert result.outcome in ("loaded", "input_error"), result.detail

    run()
    assert not failures


@pytest.mark.parametrize("target", [_target_param(t) for t in TARGETS if t.kind == "xml"])
@pytest.mark.parametrize("attack", [billion_laughs, external_entity], ids=["laughs", "xxe"])
def test_xml_readers_refuse_entity_attacks(
    target: ReaderTarget, attack: object, tmp_path: Path
) -> None:
    assert callable(attack)
    result = run_target(target, attack(), tmp_path, timeout=60)
    assert result.outcome == "input_error", result.detail
    assert "DTD" in result.detail or "entit" in result.detail.lower()


def _bomb_params() -> list[object]:
    params: list[object] = []
    for t in TARGETS:
        if t.kind != "zip":
            continue
        for well_formed in (False, True):
            reason = KNOWN_BOMB_BUGS.get(t.name) if well_formed else None
            marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
            label = "valid-xml" if well_formed else "zeros"
            params.append(pytest.param(t, well_formed, id=f"{t.name}-{label}", marks=marks))
    return params


@pytest.mark.parametrize(("target", "well_formed"), _bomb_params())
def test_zip_readers_refuse_zip_bombs(
    target: ReaderTarget, well_formed: bool, shared_data: Path
) -> None:
    """Run in a child killed after 20 s: a reader inflating a bomb sits in C code."""
    seed = load_seeds(target, shared_data)[0]
    bomb = zip_bomb(seed, size=256 * 1024 * 1024, well_formed=well_formed)
    assert len(bomb) < 2_500_000
    result, grown_mb = run_isolated(target, bomb, shared_data, timeout=20)
    assert result.outcome == "input_error", result.detail
    assert grown_mb < 200, f"reader grew by {grown_mb:.0f} MB before refusing"


def test_image_reader_refuses_pixel_bombs(shared_data: Path) -> None:
    target = next(t for t in TARGETS if t.name == "document_image")
    bomb = image_bomb(load_seeds(target, shared_data)[0])
    assert len(bomb) < 2_000
    result, grown_mb = run_isolated(target, bomb, shared_data, timeout=20)
    assert result.outcome == "input_error", result.detail
    assert "refused" in result.detail and grown_mb < 200


def public_readers() -> set[str]:
    """``module.read_*`` functions that take a path or bytes: the readers of outside data."""
    found: set[str] = set()
    packages = [dualtrace.sources]
    for package in packages:
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            try:
                module = importlib.import_module(info.name)
            except Exception:
                continue
            for name, fn in inspect.getmembers(module, inspect.isfunction):
                if name.startswith("read_") and fn.__module__ == module.__name__:
                    found.add(f"{module.__name__}.{name}")
    return found


# Readers reached through another target (the dispatcher or the file-set wrapper).
REACHED_VIA = {
    "dualtrace.sources.base.read_text": "every CSV target",
    "dualtrace.sources.list_catalog.read_named": "dispatches to the list readers above",
    "dualtrace.sources.ofac_sdn.read_ofac_csv": "ofac_sdn_csv",
    "dualtrace.sources.eu.read_eu": "eu_xml, eu_journal_csv",
    "dualtrace.sources.un.read_un": "un_xml",
    "dualtrace.sources.uk.read_uk": "uk_hmt_csv, uk_fcdo_tables",
    "dualtrace.sources.documents.emailfile.read_eml": "document_email",
    "dualtrace.sources.documents.markup.read_html": "document_html",
    "dualtrace.sources.documents.pdffile.read_pdf": "document_pdf",
    "dualtrace.sources.documents.textfile.read_plain_text": "document_text",
    "dualtrace.sources.documents.wordfile.read_docx": "document_docx",
    "dualtrace.sources.documents.imagefile.read_image": "document_image",
}


def test_every_reader_is_a_fuzz_target() -> None:
    """A new reader must join TARGETS (or REACHED_VIA) to be part of this suite."""
    direct = {
        "dualtrace.sources.ofac_sdn.read_ofac_sdn",
        "dualtrace.sources.ofac_xml.read_ofac_xml",
        "dualtrace.sources.eu.read_eu_xml",
        "dualtrace.sources.eu.read_eu_journal_csv",
        "dualtrace.sources.un.read_un_xml",
        "dualtrace.sources.uk.read_hmt_csv",
        "dualtrace.sources.uk.read_fcdo_tables",
        "dualtrace.sources.us_csl.read_csl",
        "dualtrace.sources.us_csl.read_dpl",
        "dualtrace.sources.ftm.read_ftm",
        "dualtrace.sources.jp_meti.read_meti",
        "dualtrace.sources.static_lists.read_static_list",
    }
    uncovered = public_readers() - direct - set(REACHED_VIA)
    assert not uncovered, f"readers without a fuzz target: {sorted(uncovered)}"


FINDINGS = Path(__file__).parent / "fuzz_findings"
# Inputs bench/fuzz.py found that broke a reader, kept as regression cases. Open ones
# are expected failures naming the owner's file until fixed.
OPEN_FINDINGS: dict[str, str] = {
    # Fixed and kept as regression cases: uk_hmt_csv-e6ea9e94ab7a8ff6 (KeyError on
    # birthDate for a non-person row, dualtrace/sources/uk.py); trade_excel-* and
    # trade_parquet-* (errors while rows were read escaped as zlib.error, ParseError,
    # OSError or OverflowError; dualtrace/trade/readers.py now wraps them).
}


def _finding_params() -> list[object]:
    params: list[object] = []
    for path in sorted(FINDINGS.glob("*.bin")):
        reason = OPEN_FINDINGS.get(path.name)
        marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.mark.parametrize("finding", _finding_params())
def test_saved_fuzz_findings_stay_fixed(finding: Path, tmp_path: Path) -> None:
    target = next(t for t in TARGETS if finding.name.startswith(t.name + "-"))
    result = run_target(target, finding.read_bytes(), tmp_path, timeout=30)
    assert result.outcome in ("loaded", "input_error"), result.detail
