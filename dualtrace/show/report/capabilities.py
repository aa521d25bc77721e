"""The workspace's and reports' view of capabilities that land in other packages.

Screening (``dualtrace.resolve``), ownership rules and red flags (``dualtrace.graph``,
``dualtrace.judge``), trade flows (``dualtrace.trade``) and document claims
(``dualtrace.sources.documents``) are built separately. Pages and reports call them only
through the functions here, each of which says plainly when its capability is not
installed, so a screen can show "not available in this build" instead of failing or
inventing content. Only public functions of those packages are used.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Capability:
    """Whether a capability is importable, and why not if it is not."""

    name: str
    available: bool
    reason: str = ""


# name -> (module, public attribute the workspace calls, wired into the workspace yet?)
CAPABILITIES: dict[str, tuple[str, str, bool]] = {
    "screening": ("dualtrace.resolve.index", "load_or_build", True),
    "ownership": ("dualtrace.judge.exposure", "explain", True),
    "flags": ("dualtrace.judge.red_flags", "run_flags", True),
    "trade": ("dualtrace.trade.loader", "load_trade", True),
    "documents": ("dualtrace.documents.evidence", "list_claims", True),
}


def _probe(name: str, module: str, attr: str, wired: bool) -> Capability:
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        return Capability(name, False, f"{module} is not part of this build ({exc.msg})")
    except Exception as exc:  # a broken module must not take every page down with it
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Capability(name, False, f"{module} failed to import ({first})")
    if not hasattr(mod, attr):
        return Capability(name, False, f"{module} has no {attr} yet")
    if not wired:
        return Capability(name, False, f"{module} exists but is not wired into the workspace yet")
    return Capability(name, True)


@functools.cache
def capability_status() -> dict[str, Capability]:
    """Every capability the workspace can show, probed once per process.

    A failed import is not cached by Python and would search the path on every page;
    capabilities do not appear in a running process, so one probe is enough.
    """
    return {name: _probe(name, *spec) for name, spec in CAPABILITIES.items()}


def unavailable(name: str) -> str:
    """The sentence a page shows where a capability is missing."""
    cap = capability_status().get(name)
    if cap is None or cap.available:
        return ""
    return f"{name.capitalize()} is not available in this build: {cap.reason}."


def optional(module: str, attr: str) -> Any:
    """A public function of another package, or None when it has not landed."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(mod, attr, None)


def optional_module(module: str) -> Any:
    """Another package's module, or None when it has not landed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None
