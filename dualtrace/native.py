"""Which modules run compiled (mypyc), and the guard against a stale compiled build.

The screening matcher's hot modules are plain, fully typed Python that ``setup.py``
also compiles with mypyc when the package is installed (``make setup``): the same
code, the same results (``bench/screening_identity.py``), in C. An editable install
puts each compiled module (``features.cpython-311-x86_64-linux-gnu.so``) beside its
source, and Python imports the compiled file first -- so after an edit to
``features.py``, or a ``git checkout``, the old compiled code would keep running and
the edit would silently not be there. :func:`prefer_fresh_sources` runs first thing
in ``dualtrace/__init__.py``: when any compiled file is older than its source, all of
them are imported from source instead, with a warning to rebuild (``make setup`` or
``pip install -e .``). All or none, because compiled modules call each other
directly, bypassing a module replaced by its source.
"""

from __future__ import annotations

import dataclasses
import importlib.abc
import importlib.machinery
import importlib.util
import os
import shutil
import sys
import sysconfig
import warnings
from pathlib import Path
from typing import Any

# The modules setup.py compiles, in import order (a module after those it imports).
# setup.py runs this file on its own (runpy): standard-library imports only.
COMPILED = (
    "dualtrace.names.normalize",
    "dualtrace.resolve.typos",
    "dualtrace.resolve.features",
    "dualtrace.resolve.bound",
)
# setup.py's name for the compiled modules' shared library: dualtrace/matcher__mypyc.*.so,
# at the top of the package (importing it must import no subpackage)
GROUP = "dualtrace.matcher"

_ROOT = Path(__file__).resolve().parent.parent


def source_path(module: str, root: Path = _ROOT) -> Path:
    """The ``.py`` file of a dotted module name under ``root`` (a compiled module's
    ``__file__`` does not say: mypyc sets it to a path that does not exist)."""
    return root.joinpath(*module.split(".")).with_suffix(".py")


def compiled_files(module: str, root: Path = _ROOT) -> list[Path]:
    """The compiled extension files built for ``module`` beside its source."""
    src = source_path(module, root)
    return sorted(p for ext in ("so", "pyd") for p in src.parent.glob(f"{src.stem}.*.{ext}"))


def stale_modules(modules: tuple[str, ...] = COMPILED, root: Path = _ROOT) -> list[str]:
    """Modules with a compiled file older than their source (an edit not yet built)."""
    stale = []
    for module in modules:
        src = source_path(module, root)
        built = compiled_files(module, root)
        if built and src.exists() and src.stat().st_mtime > min(p.stat().st_mtime for p in built):
            stale.append(module)
    return stale


class SourceFinder(importlib.abc.MetaPathFinder):
    """Finds ``modules``' ``.py`` sources under ``root`` ahead of their compiled files."""

    def __init__(self, modules: tuple[str, ...] = COMPILED, root: Path = _ROOT) -> None:
        self.modules = frozenset(modules)
        self.root = root

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in self.modules:
            return importlib.util.spec_from_file_location(
                fullname, source_path(fullname, self.root)
            )
        return None


def prefer_fresh_sources() -> list[str]:
    """When any compiled file is stale, import every compiled module from its source.

    Installs a finder ahead of Python's own, so the ordinary import order (packages
    first, circular imports as usual) is kept. Returns the stale modules (empty when
    the build is current or nothing was compiled).
    """
    stale = stale_modules()
    if stale and not any(isinstance(f, SourceFinder) for f in sys.meta_path):
        warnings.warn(
            f"dualtrace: {', '.join(stale)} changed since it was compiled; the matcher runs "
            "as Python (slower) until rebuilt with `make setup` or `pip install -e .`",
            RuntimeWarning,
            stacklevel=2,
        )
        sys.meta_path.insert(0, SourceFinder())
    return stale


def can_compile() -> bool:
    """A C compiler and the Python headers are there (setup.py asks before compiling:
    only mypyc's C generation can fail softly, a compiler missing when the extensions
    are built would fail the whole install)."""
    compiler = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return shutil.which(compiler.split()[0]) is not None and headers.exists()


def is_compiled() -> bool:
    """Whether the matcher modules imported in this process are the compiled ones."""
    from dualtrace.resolve import features

    return not str(features.__file__).endswith(".py")


def build_name() -> str:
    """``mypyc`` or ``python``: part of the screening index cache's name, since a
    compiled build cannot read a pure build's pickled index and the other way round."""
    return "mypyc" if is_compiled() else "python"


def reduce_fields(obj: Any) -> tuple[Any, tuple[Any, ...]]:
    """pickle's recipe for a dataclass of the compiled modules: its class called with
    its fields. A compiled class does not pickle on its own (unpickling called its
    ``__init__`` without arguments; mypyc's ``serializable`` option restored no
    attributes; mypy 2.4), and the screening index, pickled beside the store
    (``load_or_build``), is made of them. The same recipe serves the pure build."""
    return type(obj), tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))
