"""Pages of long tables on workspace pages, as plain links (no scripts needed).

An entity with hundreds of neighbours has hundreds of relations, chain steps and
timeline events; rendering all of them made the profile heavy to send, parse and lay
out. Each long table shows one page of rows, with previous/next links that change only
its own query parameter (so paging the relations keeps the chosen date and the page of
the timeline) and jump back to the table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from dualtrace.errors import InputError

T = TypeVar("T")
PAGE_ROWS = 50


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a table's rows and the links to its neighbours."""

    rows: list[T]
    number: int  # 1-based
    pages: int
    total: int
    first: int  # 1-based position of the first row shown (0 when empty)
    prev_href: str | None
    next_href: str | None

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    @property
    def paged(self) -> bool:
        return self.pages > 1


def page_number(value: str | None, param: str) -> int:
    """A 1-based page number from a query parameter; InputError naming it otherwise."""
    if value is None or not value.strip():
        return 1
    try:
        number = int(value)
    except ValueError as exc:
        raise InputError(f"expected a page number, got {value!r}", field=param) from exc
    if number < 1:
        raise InputError(f"expected a page number of 1 or more, got {number}", field=param)
    return number


def paginate(
    items: Sequence[T],
    query: Mapping[str, str],
    param: str,
    anchor: str,
    size: int = PAGE_ROWS,
) -> Page[T]:
    """The page of ``items`` chosen by ``query[param]`` (past the end: the last page)."""
    total = len(items)
    pages = max(1, -(-total // size))
    number = min(page_number(query.get(param), param), pages)
    start = (number - 1) * size
    rows = list(items[start : start + size])

    def href(n: int) -> str:
        params = {k: v for k, v in query.items() if k != param}
        if n > 1:
            params[param] = str(n)
        return ("?" + urlencode(params) if params else "?") + f"#{anchor}"

    return Page(
        rows=rows,
        number=number,
        pages=pages,
        total=total,
        first=start + 1 if rows else 0,
        prev_href=href(number - 1) if number > 1 else None,
        next_href=href(number + 1) if number < pages else None,
    )
