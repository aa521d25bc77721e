"""The compiled matcher (dualtrace.native, setup.py): built by the test install, the
same pickles and explanations as the pure build, and never run when older than its
source."""

from __future__ import annotations

import os
import pickle
import sys
import time
from pathlib import Path

import pytest

from dualtrace import native
from dualtrace.resolve import features as ft
from dualtrace.resolve.bound import candidate_tokens
from dualtrace.resolve.features import name_stats, pair_table
from dualtrace.resolve.records import record_from_dict
from dualtrace.resolve.typos import TypoIndex


def test_the_install_compiled_the_matcher() -> None:
    """`make setup` (pip install -e) compiles it; a silent fall-back to Python would
    only show as a slower bench. Stale files (an edit since) run as Python instead."""
    if os.environ.get("DUALTRACE_PURE_PYTHON") == "1":
        pytest.skip("pure-Python build requested")
    if not native.can_compile():
        pytest.skip("no C compiler or Python headers: the install left Python")
    stale = native.stale_modules()
    assert native.is_compiled() != bool(stale), stale
    for module in native.COMPILED:
        assert native.compiled_files(module), f"{module} has no compiled file"


def test_index_parts_pickle_back_equal() -> None:
    """The screening index is pickled beside the store (load_or_build); mypyc's classes
    need their own recipe (reduce_fields, TypoIndex.__reduce__)."""
    rec = record_from_dict(
        {
            "schema": "Company",
            "properties": {"name": ["IEMZ Kupol", "Izhevskiy Elektromekhanicheskiy Zavod Kupol"]},
        }
    )
    stats = name_stats(rec, lambda _t: 2.0)
    for obj in (
        stats[0],
        pair_table(stats, lambda _t: 2.0, as_query=False),
        candidate_tokens(stats, lambda _t: 2.0),
    ):
        assert pickle.loads(pickle.dumps(obj)) == obj
    typos = TypoIndex(["almazantey", "almazantei", "kupol", "redlepus"])
    back = pickle.loads(pickle.dumps(typos, protocol=pickle.HIGHEST_PROTOCOL))
    assert back.rank == typos.rank and back.table == typos.table
    assert back.near("almazantej") == typos.near("almazantej") == {"almazantey", "almazantei"}


def test_explanations_survive_compiling() -> None:
    """A feature's docstring is its explanation; compiled functions carry none, so it
    is read from the source."""
    assert ft.explain(ft.name_match).startswith("Rarity-weighted alignment")
    assert ft.explain(ft.country_match) == (
        "Countries (nationality, jurisdiction, address country) agree, or conflict"
    )


def _fake_package(root: Path) -> None:
    pkg = root / "fakematcher"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    # not a loadable extension: importing it would fail with an ImportError
    built = pkg / "mod.cpython-311-x86_64-linux-gnu.so"
    built.write_bytes(b"not an ELF file")
    old = time.time() - 60
    os.utime(built, (old, old))
    (pkg / "mod.py").write_text("WHERE = 'source'\n")


def test_stale_compiled_files_are_found_and_skipped(tmp_path: Path) -> None:
    _fake_package(tmp_path)
    modules = ("fakematcher.mod",)
    assert native.stale_modules(modules, tmp_path) == ["fakematcher.mod"]
    finder = native.SourceFinder(modules, tmp_path)
    sys.path.insert(0, str(tmp_path))
    sys.meta_path.insert(0, finder)
    try:
        import fakematcher.mod  # type: ignore[import-not-found]

        assert fakematcher.mod.WHERE == "source"
    finally:
        sys.meta_path.remove(finder)
        sys.path.remove(str(tmp_path))
        for name in ("fakematcher.mod", "fakematcher"):
            sys.modules.pop(name, None)


def test_a_fresh_build_is_not_stale(tmp_path: Path) -> None:
    _fake_package(tmp_path)
    built = tmp_path / "fakematcher" / "mod.cpython-311-x86_64-linux-gnu.so"
    os.utime(built)  # rebuilt after the edit
    assert native.stale_modules(("fakematcher.mod",), tmp_path) == []
    assert native.stale_modules(("fakematcher.other",), tmp_path) == []
