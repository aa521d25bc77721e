"""Uploads are judged by their bytes; user paths stay inside their folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dualtrace.errors import InputError
from dualtrace.security.reader_fuzzing import REUTERS, Seed, _build_docx, _build_pdf
from dualtrace.security.uploads import (
    TABLE_SUFFIXES,
    check_upload,
    resolve_within,
    safe_filename,
    sniff_kind,
)


def test_real_files_pass_as_what_they_are(shared_data: Path) -> None:
    text = Seed(REUTERS, 2000).load(shared_data)
    assert check_upload("reuters.txt", text) == "reuters.txt"
    assert check_upload("report.pdf", _build_pdf(shared_data)[:16]) == "report.pdf"
    assert check_upload("memo.docx", _build_docx(shared_data)[:16]) == "memo.docx"
    sdn = (shared_data / "lists" / "ofac-sdn" / "sdn_2021-07-07.csv").read_bytes()[:512]
    assert check_upload("sdn.csv", sdn, TABLE_SUFFIXES) == "sdn.csv"


@pytest.mark.parametrize(
    ("name", "head", "why"),
    [
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00", "executable"),
        ("invoice.pdf", b"PK\x03\x04\x14\x00", "zip"),
        ("memo.docx", b"%PDF-1.7\n", "pdf"),
        ("list.csv", b"\x7fELF\x02\x01\x01", "executable"),
        ("notes.txt", b"\x00\x01\x02\x03binary", "binary"),
        ("run.sh", b"#!/bin/sh\n", "not accepted"),
        ("payload.exe", b"MZ", "not accepted"),
        ("noext", b"hello", "not accepted"),
    ],
)
def test_disguised_or_unwanted_files_are_refused(name: str, head: bytes, why: str) -> None:
    with pytest.raises(InputError, match=why):
        check_upload(name, head)


def test_sniffing() -> None:
    assert sniff_kind(b"\xff\xfeh\x00i\x00") == "text"  # UTF-16 with BOM
    assert sniff_kind(b"PAR1\x15\x04") == "parquet"
    assert sniff_kind("Купол".encode()) == "text"


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\report.pdf", "report.pdf"),
        (".bashrc", "bashrc"),
        ("a\x00b\nc.txt", "abc.txt"),
        ("rm -rf $(x);.txt", "rm -rf _x_.txt"),
        ("отчёт Купол.pdf", "отчёт Купол.pdf"),
        ("", "upload"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_safe_filename(given: str, safe: str) -> None:
    assert safe_filename(given) == safe


def test_paths_stay_inside_their_folder(tmp_path: Path) -> None:
    base = tmp_path / "exports"
    base.mkdir()
    (base / "ok.csv").write_text("x")
    assert resolve_within(base, "ok.csv") == (base / "ok.csv").resolve()
    assert resolve_within(base, "sub/../ok.csv") == (base / "ok.csv").resolve()
    for bad in ("../secret", "/etc/passwd", "sub/../../x", "", "a\x00b"):
        with pytest.raises(InputError):
            resolve_within(base, bad)
    os.symlink(tmp_path, base / "escape")
    with pytest.raises(InputError, match="leaves its folder"):
        resolve_within(base, "escape/store.duckdb")
