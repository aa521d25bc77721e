"""Build: compile the screening matcher's hot modules with mypyc (docs/screening.md).

Everything else is in pyproject.toml. The modules (``dualtrace.native.COMPILED``) are
plain, fully typed Python that also runs uncompiled; compiled, they give the same
results (``bench/screening_identity.py``) faster. ``DUALTRACE_PURE_PYTHON=1`` skips
compiling (to profile the Python); without a C compiler or the Python headers, or if
mypyc fails, the modules stay pure Python, with a warning rather than a failed install.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

from setuptools import setup  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent


# dualtrace/native.py imports only the standard library: run it for its settings
# without importing the package (the build environment has none of its dependencies)
NATIVE = runpy.run_path(str(HERE / "dualtrace" / "native.py"))


def _ext_modules() -> list[object]:
    if os.environ.get("DUALTRACE_PURE_PYTHON") == "1":
        return []
    if not NATIVE["can_compile"]():
        print("dualtrace: no C compiler or Python headers; the matcher runs as Python",
              file=sys.stderr)  # fmt: skip
        return []
    modules = [m.replace(".", "/") + ".py" for m in NATIVE["COMPILED"]]
    group = NATIVE["GROUP"]
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
    except (Exception, SystemExit) as exc:  # any failure of mypyc: pure Python
        print(f"dualtrace: matcher not compiled ({exc}); it runs as Python", file=sys.stderr)
        return []


setup(ext_modules=_ext_modules())
