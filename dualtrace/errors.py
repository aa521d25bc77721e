"""Errors a user can act on.

Every failure caused by input (a bad file, a missing column, an unknown entity) is
raised as a :class:`DualtraceError` whose message is one line naming the file, row and
field involved, so the CLI can print it without a traceback.
"""

from __future__ import annotations


class DualtraceError(Exception):
    """Base class for errors that are reported to the user as one clear line."""


class InputError(DualtraceError):
    """Input that cannot be read: names the file, row and field and what was wrong."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file = file
        self.row = row
        self.field = field
        # Parser messages (lxml, openpyxl) often carry line breaks; the CLI prints one line.
        self.message = " ".join(line.strip() for line in message.splitlines() if line.strip())
        super().__init__(self.render())

    def render(self) -> str:
        """One line: ``file:row: field: message`` with the parts that are known."""
        where = []
        if self.file is not None:
            where.append(self.file if self.row is None else f"{self.file}:{self.row}")
        elif self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class StoreError(DualtraceError):
    """The store cannot be opened or is in a state that prevents the operation."""


class NotFoundError(DualtraceError):
    """A requested entity, dataset or version does not exist in the store."""
