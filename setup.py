"""Build: compile the screening matcher's hot modules with mypyc (docs/screening.md).

Everything else is in pyproject.toml. The modules (``dualtrace.native.COMPILED``) are
plain, fully typed Python that also runs uncompiled; compiled, they give the same
results (``bench/screening_identity.py``) faster. ``DUALTRACE_PURE_PYTHON=1`` skips
compiling (to profile the Python, or on a machine without a C compiler); a failed
compile leaves pure Python with a warning rather than failing the install.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent


def _native_settings() -> tuple[list[str], str]:
    """COMPILED and GROUP from dualtrace/native.py, read without importing the package
    (the build environment has none of its dependencies)."""
    values: dict[str, object] = {}
    tree = ast.parse((HERE / "dualtrace" / "native.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("COMPILED", "GROUP"):
                values[target.id] = ast.literal_eval(node.value)
    modules = [m.replace(".", "/") + ".py" for m in values["COMPILED"]]  # type: ignore[attr-defined]
    return modules, str(values["GROUP"])


def _ext_modules() -> list[object]:
    if os.environ.get("DUALTRACE_PURE_PYTHON") == "1":
        return []
    modules, group = _native_settings()
    try:
        from mypyc.build import mypycify

        # No third-party package is installed in the build environment, so their types
        # are Any here; that changes no code path (the matcher's loops use built-in
        # types). `mypy --strict` on the whole package runs in `make typecheck`.
        return list(
            mypycify(
                ["--config-file=", "--ignore-missing-imports", *modules],
                opt_level="3",
                group_name=group,
            )
        )
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - any failure: pure Python
        print(f"dualtrace: matcher not compiled ({exc}); it runs as Python", file=sys.stderr)
        return []


setup(ext_modules=_ext_modules())
