"""An in-memory index of the store's statements by entity, rebuilt when the store changes.

The workspace's profile page and network view ask the same few questions many times per
request: the statements of an entity, the entities whose entity-typed properties point
at it (edges, Sanction records, ``parent`` links), the raw ids merged into a canonical
id, and in which list versions an entity appears. DuckDB has no index on
``statements`` (it is a columnar scan store), so each question was a full pass over the
statements: ~20-70 ms on the full OFAC SDN publication, a dozen passes per page, more
when the ownership chain climbs a level.

This module reads the statements once per *store version* and answers those questions
from Python dicts and Arrow tables:

* :class:`StoreIndex` (one per store version): dataset titles and versions, the raw ->
  canonical id mapping of merges, and which versions of which datasets state each
  entity (``prop = 'id'``, every version loaded, for list-membership history);
* :class:`EntityIndex` (one per set of dataset versions in force, i.e. per ``as_of``
  that selects different versions): the statements in force, a sort permutation by
  canonical id with each entity's range in it, and inbound references (referenced id
  -> rows).

The store version is a fingerprint of the ``loads`` log and the merge decisions: every
write to ``statements`` goes through :meth:`Store.load` (which logs a load) or through a
merge decision (``merge_decisions``/``resolver``), so a changed fingerprint is exactly a
changed statement set. Checking it is one ~1 ms query, once per page (:func:`pinned`).
Indexes are cached per store file (a few at a time) and dropped when the fingerprint
moves on; the workspace builds one before it starts serving.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dualtrace.store.duckdb_store import COLUMN_NAMES, DatasetRow, Store, StoredStatement

# How many as-of views one store keeps (the current lists and one date being examined).
MAX_VIEWS = 2
# How many store files the process keeps indexes for (tests open many small stores).
MAX_STORES = 4

Fingerprint = tuple[Any, ...]
log = logging.getLogger(__name__)


def store_fingerprint(store: Store) -> Fingerprint:
    """What changes whenever the statements change: the load log and merge decisions.

    Every load adds a ``loads`` row; every merge or split adds a ``merge_decisions`` row
    or sets its ``undone_at``. One round trip of plain aggregates (~1 ms); stores from
    before the merge tables existed fall back to the load log alone.
    """
    loads = "SELECT count(*), max(finished_at), max(load_id) FROM loads"
    merges = "SELECT count(*), max(decided_at), max(undone_at), max(id) FROM merge_decisions"
    try:
        row = store.con.execute(f"SELECT l.*, m.* FROM ({loads}) l, ({merges}) m").fetchone()
    except duckdb.CatalogException:
        row = store.con.execute(loads).fetchone()
    return tuple(row or ())


def runs(sorted_ids: pa.Array | pa.ChunkedArray) -> dict[str, tuple[int, int]]:
    """Each value of a sorted column -> (first row, row after its last), vectorised."""
    ids = sorted_ids.combine_chunks() if isinstance(sorted_ids, pa.ChunkedArray) else sorted_ids
    n = len(ids)
    if not n:
        return {}
    changed = pc.not_equal(ids.slice(1), ids.slice(0, n - 1))
    nonzero = pc.indices_nonzero(changed).to_numpy().astype(np.int64)
    starts = np.concatenate((np.zeros(1, np.int64), nonzero + 1)).tolist()
    ends = [*starts[1:], n]
    firsts = pc.take(ids, pa.array(starts, pa.int64())).to_pylist()
    return dict(zip(firsts, zip(starts, ends, strict=True), strict=True))


@dataclass(frozen=True, slots=True)
class Rows:
    """Columns of some index rows, as Python lists (one list per column asked for)."""

    columns: dict[str, list[Any]]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def __getitem__(self, name: str) -> list[Any]:
        return self.columns[name]


class EntityIndex:
    """The statements in force for one set of dataset versions, by canonical id.

    The table stays in the order DuckDB returned it (sorting 23 columns costs more than
    everything else together); ``order`` is the permutation that sorts it by canonical
    id, and ``ranges`` maps each canonical id to its slice of ``order``.
    """

    def __init__(self, in_force: dict[str, str], table: pa.Table) -> None:
        self.in_force = in_force
        self.table = table.combine_chunks()
        ids = self.table.column("canonical_id")
        self.order = pc.sort_indices(ids).to_numpy()
        self.ranges = runs(pc.take(ids, pa.array(self.order)))
        # referenced raw id -> rows of entity-typed statements whose value it is
        self.inbound: dict[str, list[int]] = defaultdict(list)
        entity_rows = pc.indices_nonzero(pc.equal(self.table.column("prop_type"), "entity"))
        values = pc.take(self.table.column("value"), entity_rows).to_pylist()
        for row, value in zip(entity_rows.to_pylist(), values, strict=True):
            self.inbound[value].append(row)

    def __contains__(self, canonical_id: str) -> bool:
        return canonical_id in self.ranges

    def rows_of(self, canonical_ids: Iterable[str]) -> list[int]:
        """Row numbers of every statement in force about these canonical ids."""
        out: list[int] = []
        for cid in canonical_ids:
            span = self.ranges.get(cid)
            if span is not None:
                out.extend(self.order[span[0] : span[1]].tolist())
        return out

    def referencing(self, raw_ids: Iterable[str]) -> list[int]:
        """Rows of entity-typed statements whose value is one of ``raw_ids``."""
        out: list[int] = []
        for raw in raw_ids:
            out.extend(self.inbound.get(raw, ()))
        return out

    def columns(self, rows: Sequence[int], names: Sequence[str]) -> Rows:
        """The named columns of ``rows``, in the order given."""
        if not rows:
            return Rows({n: [] for n in names})
        picked = self.table.select(list(names)).take(pa.array(rows, pa.int64()))
        return Rows({n: picked.column(n).to_pylist() for n in names})

    def statements(self, canonical_id: str) -> list[StoredStatement]:
        """All statements in force about one entity, by dataset, property and value
        (the order :meth:`Store.entity_statements` gives)."""
        cols = self.columns(self.rows_of([canonical_id]), COLUMN_NAMES)
        out = [StoredStatement(*row) for row in zip(*cols.columns.values(), strict=True)]
        out.sort(key=lambda s: (s.dataset, s.prop, s.value))
        return out


class StoreIndex:
    """What one version of the store says, independent of the date asked about."""

    def __init__(self, store: Store, fingerprint: Fingerprint) -> None:
        self.fingerprint = fingerprint
        self.datasets: list[DatasetRow] = store.datasets()
        self.titles = {d.name: d.title for d in self.datasets}
        self.kinds = {d.name: d.kind for d in self.datasets}
        con = store.con
        self.canonical_of: dict[str, str] = {
            str(e): str(c)
            for e, c in con.execute(
                "SELECT DISTINCT entity_id, canonical_id FROM statements "
                "WHERE entity_id <> canonical_id"
            ).fetchall()
        }
        raw: dict[str, list[str]] = defaultdict(list)
        for e, c in self.canonical_of.items():
            raw[c].append(e)
        self.raw_ids = {c: sorted(v) for c, v in raw.items()}
        # which versions of which datasets state each entity, every version loaded; kept
        # as sorted columns and grouped per entity on request (grouping all ~50k
        # entities of the SDN list in Python took longer than the rest of the build)
        self._presence = con.execute(
            "SELECT canonical_id, dataset, version FROM statements WHERE prop = 'id' "
            "GROUP BY ALL ORDER BY canonical_id, dataset, version"
        ).to_arrow_table()
        self._presence_ranges = runs(self._presence.column("canonical_id"))
        self._views: OrderedDict[tuple[tuple[str, str], ...], EntityIndex] = OrderedDict()
        self._views_lock = threading.Lock()  # a warm-up thread may build a view meanwhile

    def presence(self, canonical_id: str) -> list[tuple[str, list[str]]]:
        """[(dataset, versions stating the entity)], by dataset, versions in order."""
        span = self._presence_ranges.get(canonical_id)
        if span is None:
            return []
        part = self._presence.slice(span[0], span[1] - span[0])
        out: dict[str, list[str]] = {}
        datasets = part.column("dataset").to_pylist()
        for dataset, version in zip(datasets, part.column("version").to_pylist(), strict=True):
            out.setdefault(dataset, []).append(version)
        return list(out.items())

    def known(self, canonical_id: str) -> bool:
        """Whether any loaded version states the entity (has its ``id`` statement)."""
        return canonical_id in self._presence_ranges

    @property
    def has_merges(self) -> bool:
        return bool(self.canonical_of)

    def canonical(self, entity_id: str) -> str:
        """The canonical id of a raw entity id (itself when it was never merged)."""
        return self.canonical_of.get(entity_id, entity_id)

    def entity_ids(self, ids: Iterable[str]) -> dict[str, str]:
        """Every raw id of these entities (and their canonical ids) -> canonical id."""
        out: dict[str, str] = {}
        for given in ids:
            c = self.canonical(given)
            out[given] = c
            out[c] = c
            for raw in self.raw_ids.get(c, ()):
                out[raw] = c
        return out

    def resolve(self, store: Store, entity_id: str) -> str:
        """The canonical id of an entity or canonical id; NotFoundError if unknown.

        Answered from the index for every entity with an ``id`` statement; anything
        else (an id only referenced, or unknown) asks the store, which raises.
        """
        if entity_id in self.canonical_of:
            return self.canonical_of[entity_id]
        if self.known(entity_id):
            return entity_id
        return store.resolve_id(entity_id)

    def at(self, store: Store, as_of: str | None) -> EntityIndex:
        """The index of the dataset versions in force on ``as_of`` (latest if None)."""
        pin = _pins().get(_key(store))
        if pin is not None and pin[0] is self and as_of in pin[1]:
            return pin[1][as_of]
        view = self._view(store, as_of)
        if pin is not None and pin[0] is self:
            pin[1][as_of] = view
        return view

    def _view(self, store: Store, as_of: str | None) -> EntityIndex:
        vsql, vparams = store.versions_in_force_sql(as_of)
        in_force = {str(d): str(v) for d, v in store.con.execute(vsql, vparams).fetchall()}
        key = tuple(sorted(in_force.items()))
        with self._views_lock:
            return self._view_locked(store, key, in_force, vsql, vparams)

    def _view_locked(
        self,
        store: Store,
        key: tuple[tuple[str, str], ...],
        in_force: dict[str, str],
        vsql: str,
        vparams: list[Any],
    ) -> EntityIndex:
        view = self._views.get(key)
        if view is not None:
            self._views.move_to_end(key)
            return view
        cols = ", ".join(f"s.{c}" for c in COLUMN_NAMES)
        table = store.con.execute(
            f"SELECT {cols} FROM statements s JOIN ({vsql}) v "
            "ON s.dataset = v.dataset AND s.version = v.version",
            vparams,
        ).to_arrow_table()
        view = EntityIndex(in_force, table)
        _settle()
        self._views[key] = view
        while len(self._views) > MAX_VIEWS:
            self._views.popitem(last=False)
        return view


_lock = threading.Lock()
_cache: OrderedDict[str, StoreIndex] = OrderedDict()
_building: dict[str, threading.Lock] = {}
_local = threading.local()


def _settle() -> None:
    """Take the index's objects out of the cyclic garbage collector's view.

    The index is hundreds of thousands of dicts, lists and tuples that live until the
    store changes; every full collection walked them all (~250 ms each on the SDN list
    at load average 11, several times a minute under page traffic: the p95 outliers).
    They hold no reference cycles, so reference counting still frees them when the index
    is replaced; only the collector's repeated scans are saved.
    """
    gc.collect()
    gc.freeze()


def _key(store: Store) -> str:
    return str(store.path.resolve())


def _pins() -> dict[str, tuple[StoreIndex, dict[str | None, EntityIndex]]]:
    pins: dict[str, tuple[StoreIndex, dict[str | None, EntityIndex]]] | None = getattr(
        _local, "pins", None
    )
    if pins is None:
        pins = _local.pins = {}
    return pins


def store_index(store: Store) -> StoreIndex:
    """The index of the store's current version, built on first use after a change.

    The caller must hold whatever serialises use of ``store.con`` (the workspace's lock);
    the cache itself is safe to share between threads and between Store objects open on
    the same file. Inside :func:`pinned` the version is checked once, not per call.
    """
    key = _key(store)
    pin = _pins().get(key)
    if pin is not None:
        return pin[0]
    fingerprint = store_fingerprint(store)
    with _lock:
        building = _building.setdefault(key, threading.Lock())
    with building:  # one build per store file at a time; later callers reuse it
        with _lock:
            found = _cache.get(key)
            if found is not None and found.fingerprint == fingerprint:
                _cache.move_to_end(key)
                return found
        built = StoreIndex(store, fingerprint)  # settled with its first view, built next
        with _lock:
            _cache[key] = built
            _cache.move_to_end(key)
            while len(_cache) > MAX_STORES:
                _cache.popitem(last=False)
    return built


def warm(store: Store) -> threading.Thread:
    """Build the store's index for the current lists in a background thread.

    The workspace calls this after a write that changes statements (an accepted claim is
    republished as statements), so the next profile does not wait for the rebuild. The
    thread reads through its own cursor (a separate DuckDB connection to the same
    database), so requests may use the store meanwhile; one that needs the index waits
    for this build instead of starting a second one.
    """
    cursor = store.con.cursor()
    reader = Store(cursor, store.path, read_only=True)

    def run() -> None:
        try:
            store_index(reader).at(reader, None)
        except duckdb.Error as exc:  # the store closed under us: the next request builds
            log.info("entity index warm-up of %s stopped: %s", store.path, exc)
        finally:
            with suppress(duckdb.Error):
                cursor.close()

    thread = threading.Thread(target=run, name=f"index-warm-{store.path.name}", daemon=True)
    thread.start()
    return thread


@contextmanager
def pinned(store: Store) -> Iterator[StoreIndex]:
    """Check the store version once for a block of reads (one page request).

    The many lookups a page makes then share one index without re-reading the
    fingerprint each time. Only for blocks that do not write statements: a load inside
    the block would not be seen until the block ends.
    """
    key = _key(store)
    pins = _pins()
    if key in pins:  # nested: the outer block's pin stands
        yield pins[key][0]
        return
    pins[key] = (store_index(store), {})
    try:
        yield pins[key][0]
    finally:
        pins.pop(key, None)
