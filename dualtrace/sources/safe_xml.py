"""Parsing list XML (EU, UN) without trusting it.

Sanctions lists arrive by download and are sometimes re-hosted; a file with a DTD can
expand entities into gigabytes (billion laughs) or read local files (XXE). lxml is
told never to resolve entities, load DTDs or touch the network, and any document that
declares a DTD at all is refused: no official list uses one. Whole-document parsing
(the EU and UN files are a few MB) keeps each element's source line, which becomes
the statement's row so every fact points back to its line in the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped]

from dualtrace.errors import InputError

_ROOT_START = re.compile(rb"<[A-Za-z_]")


def parse_list_xml(path: Path) -> Any:
    """The root element of ``path``; InputError naming file and line if unusable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=str(path)) from exc
    if not raw.strip():
        raise InputError("empty file; expected XML", file=str(path))
    # A DTD can only sit in the prolog, before the root element: refuse it there, before
    # libxml2 sees it (its own amplification guard would also stop a bomb, but with a
    # message that reads like a broken file rather than a hostile one).
    root_start = _ROOT_START.search(raw)
    prolog = raw[: root_start.start()] if root_start else raw
    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        line = prolog[: prolog.upper().find(b"<!")].count(b"\n") + 1
        raise InputError(
            "XML declares a DTD (possible entity-expansion or external-entity attack); "
            "refused, not expanded",
            file=str(path),
            row=line,
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(
            f"malformed or truncated XML: {exc.msg}", file=str(path), row=exc.lineno or None
        ) from exc
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise InputError(
            "XML declares a DTD (possible entity-expansion attack); refused, not expanded",
            file=str(path),
            row=1,
        )
    return root


def local(elem: Any) -> str:
    """Tag name without namespace (the EU export uses a default namespace)."""
    tag = elem.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def child_text(elem: Any, name: str) -> str | None:
    """Stripped text of the first direct child called ``name`` (any namespace)."""
    for child in elem:
        if local(child) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def children(elem: Any, name: str) -> list[Any]:
    """Direct children called ``name`` (any namespace)."""
    return [c for c in elem if local(c) == name]
