"""Where a fact came from.

FtM's :class:`followthemoney.statement.Statement` has one free-text ``origin`` field.
Readers put a :class:`SourcePointer` there (encoded as compact JSON) so a statement
keeps the exact file and row, or document page and character span, it was read from;
the store explodes the pointer into typed columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

import orjson

# Admiralty (NATO STANAG 2511) source reliability grades: A reliable .. F cannot judge.
RELIABILITY_GRADES = ("A", "B", "C", "D", "E", "F")


@dataclass(frozen=True)
class SourcePointer:
    """A location inside a source: a file row, or a span of a document's text.

    Not slotted, so the encoded form can be cached: one source row typically yields
    dozens of statements that all carry the same pointer.
    """

    file: str | None = None
    row: int | None = None
    doc_id: str | None = None
    page: int | None = None
    span_start: int | None = None
    span_end: int | None = None

    def encode(self) -> str:
        """Compact JSON for FtM's ``origin`` field; only the parts that are set."""
        return self._encoded

    @cached_property
    def _encoded(self) -> str:
        data = {
            k: v
            for k, v in (
                ("f", self.file),
                ("r", self.row),
                ("d", self.doc_id),
                ("p", self.page),
                ("s", self.span_start),
                ("e", self.span_end),
            )
            if v is not None
        }
        return orjson.dumps(data).decode("utf-8")

    @classmethod
    def decode(cls, origin: str | None) -> SourcePointer:
        """Read a pointer back; an origin that is not ours is kept as the file name."""
        if not origin:
            return cls()
        if not origin.startswith("{"):
            return cls(file=origin)
        try:
            data = orjson.loads(origin)
        except orjson.JSONDecodeError:
            return cls(file=origin)
        return cls(
            file=data.get("f"),
            row=data.get("r"),
            doc_id=data.get("d"),
            page=data.get("p"),
            span_start=data.get("s"),
            span_end=data.get("e"),
        )

    def describe(self) -> str:
        """Human-readable location, e.g. ``sdn_2024-05-03.csv row 13402``."""
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.doc_id:
            parts.append(f"document {self.doc_id}")
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.span_start is not None and self.span_end is not None:
            parts.append(f"chars {self.span_start}-{self.span_end}")
        return " ".join(parts) if parts else "unknown location"


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """A source of facts: one list or data set, independent of its versions."""

    name: str
    title: str
    publisher: str = ""
    url: str = ""
    reliability: str = "A"
    kind: str = "list"

    def __post_init__(self) -> None:
        if self.reliability not in RELIABILITY_GRADES:
            raise ValueError(f"reliability must be one of {RELIABILITY_GRADES}")


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One publication of a dataset and how its date was determined."""

    version: str  # ISO date (YYYY-MM-DD) of publication
    basis: str  # 'given', 'file', 'filename' or 'load-date'

    @property
    def date(self) -> dt.date:
        return dt.date.fromisoformat(self.version[:10])


@dataclass(slots=True)
class LoadIssue:
    """A row or value that could not be used, reported instead of silently dropped."""

    file: str
    row: int | None
    field: str | None
    message: str
    severity: str = "warning"  # 'warning' (row kept or skipped) or 'error'

    def render(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        fld = f" field {self.field!r}:" if self.field else ""
        return f"{where}:{fld} {self.message}"


@dataclass(slots=True)
class LoadReport:
    """What a load did: counts and every issue, for the CLI and the store's record."""

    dataset: str
    version: str
    entities: int = 0
    statements: int = 0
    issues: list[LoadIssue] = field(default_factory=list)
    source_files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def issue(
        self, file: str, row: int | None, field: str | None, message: str, severity: str = "warning"
    ) -> None:
        self.issues.append(LoadIssue(file, row, field, message, severity))
