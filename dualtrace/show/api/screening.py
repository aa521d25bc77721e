"""Screening routes in yente's shapes: ``/match/{dataset}``, ``/search``, ``/entities/{id}``.

The screening index lives in ``app.state.screening`` (built once at start-up), so a
request only normalises its query and scores a handful of candidates. ``default``
means every loaded list, as yente's default collection does; any other dataset name
restricts candidates to that list.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Annotated, Any

import anyio.to_thread
import orjson
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dualtrace.errors import DualtraceError
from dualtrace.resolve.index import ScreeningIndex
from dualtrace.resolve.records import Record
from dualtrace.resolve.scorer import DEFAULT_CUTOFF, DEFAULT_THRESHOLD, NAME, feature_docs
from dualtrace.show.api.models import (
    EntityResponse,
    MatchRequest,
    MatchResponse,
    QueryResponse,
    ScoredEntityResponse,
    SearchResponse,
    TotalSpec,
)
from dualtrace.show.api.scoring_pool import ScoringPool

router = APIRouter(tags=["screening"])
DEFAULT_DATASET = "default"
MAX_LIMIT = 500
MAX_QUERIES = 100
# Up to this many queries a request is scored on the event loop (see ``match``).
INLINE_QUERIES = 4
DEFAULT_LIMIT = 5


def screening_index(request: Request) -> ScreeningIndex:
    """The app's index (built at start-up); 503 while it is not ready."""
    index = getattr(request.app.state, "screening", None)
    if index is None:
        raise HTTPException(503, "the screening index is still being built")
    assert isinstance(index, ScreeningIndex)
    return index


def _datasets(
    index: ScreeningIndex, dataset: str, include: list[str], exclude: list[str]
) -> frozenset[str] | None:
    if dataset == DEFAULT_DATASET:
        chosen = set(index.datasets)
    elif dataset in index.datasets:
        chosen = {dataset}
    else:
        raise HTTPException(404, f"no such dataset: {dataset!r}")
    chosen |= set(include) & index.datasets
    chosen -= set(exclude)
    if chosen == set(index.datasets):
        return None
    return frozenset(chosen)


def _stamp(value: str | None) -> str | None:
    if value is None:
        return None
    return value if "T" in value else f"{value[:10]}T00:00:00"


def entity_payload(rec: Record) -> dict[str, Any]:
    return {
        "id": rec.id,
        "caption": rec.caption,
        "schema": rec.schema_name,
        "properties": rec.properties,
        "datasets": sorted(rec.datasets),
        "referents": [],
        "target": True,
        "first_seen": _stamp(rec.first_seen),
        "last_seen": _stamp(rec.last_seen),
        "last_change": _stamp(rec.last_seen),
    }


@router.post(
    "/match/{dataset}",
    response_model=MatchResponse,
    response_model_by_alias=True,
    summary="Screen entities by example (yente-compatible)",
)
async def match(
    dataset: str,
    body: MatchRequest,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    threshold: Annotated[float, Query(ge=0.0, le=1.0)] = DEFAULT_THRESHOLD,
    cutoff: Annotated[float, Query(ge=0.0, le=1.0)] = DEFAULT_CUTOFF,
    algorithm: str = NAME,
    include_dataset: Annotated[list[str] | None, Query()] = None,
    exclude_dataset: Annotated[list[str] | None, Query()] = None,
    exclude_schema: Annotated[list[str] | None, Query()] = None,
    exclude_entity_ids: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """Score each query against the lists; results carry score, match and explanations.

    Accepts yente's request body (``queries`` keyed by id, each with ``schema`` and
    ``properties``) and returns its response (``responses`` keyed by the same ids).
    ``algorithm`` is accepted for compatibility; there is one matcher.

    The body is built in exactly ``MatchResponse``'s shape and serialised with orjson
    directly: re-validating every result and explanation through pydantic cost more
    than scoring a typical query (``response_model`` still documents the shape).

    A request of up to :data:`INLINE_QUERIES` queries (a few ms) is scored on the
    event loop: handing it to a worker thread cost more than it saved, since scoring
    holds the GIL anyway and the thread hop and GIL hand-over added latency to every
    request. Larger batches go to a worker thread, so they cannot stall the loop.
    """
    index = screening_index(request)
    if len(body.queries) > MAX_QUERIES:
        raise HTTPException(400, f"at most {MAX_QUERIES} queries per request")
    wanted = _datasets(index, dataset, include_dataset or [], exclude_dataset or [])
    queries = {key: example.model_dump(by_alias=True) for key, example in body.queries.items()}
    args = (
        queries,
        wanted,
        set(exclude_entity_ids or []),
        set(exclude_schema or []),
        limit,
        threshold,
        cutoff,
    )
    try:
        payload = await _score_match(request.app.state, index, args)
    except QueryRejected as exc:
        raise HTTPException(400, str(exc)) from exc
    return Response(payload, media_type="application/json")


async def _score_match(state: Any, index: ScreeningIndex, args: tuple[Any, ...]) -> bytes:
    """``_match_payload`` in a scoring worker if the server has them, else on the event
    loop (small requests) or in a thread (large batches)."""
    pool = getattr(state, "scoring_pool", None)
    payload: bytes | None = None
    if isinstance(pool, ScoringPool) and pool.serves(index):
        payload = await pool.run(_match_payload, *args)
    if payload is None and len(args[0]) <= INLINE_QUERIES:
        payload = _match_payload(index, *args)
    elif payload is None:
        payload = await anyio.to_thread.run_sync(_match_payload, index, *args)
    return payload


_MATCH_PATH = re.compile(r"/match/([^/]+)")


class MatchFastPath:
    """``POST /match/{dataset}`` without query parameters (how screening clients call
    it), answered without FastAPI's routing and parameter machinery: the same body
    model (``MatchRequest``), the same scoring and the same bytes as the route.

    With scoring in worker processes, FastAPI's per-request work (matching the path
    against every route, solving ten query parameters and the dependencies) was about
    a third of the server's event-loop time. Installed inside the security layers, so
    authentication, role check, audit and limits apply exactly as to the route.
    Anything else (query parameters, a body the model refuses, an unknown dataset, a
    rejected query, no index yet) goes to the route unchanged, body replayed, so
    errors keep their one shape.
    """

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state
        state.match_fast_path_answered = 0  # requests answered here (tests, diagnosis)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or scope.get("query_string")
            or (found := _MATCH_PATH.fullmatch(str(scope.get("path", "")))) is None
            or not _json_body(scope)
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # client gone: let the route see it
                await self.app(scope, _replay(chunks, message, receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        payload = await self._answer(urllib.parse.unquote(found.group(1)), b"".join(chunks))
        if payload is None:
            await self.app(scope, _replay(chunks, None, receive), send)
            return
        self.state.match_fast_path_answered += 1
        await _send_json(send, payload)

    async def _answer(self, dataset: str, body: bytes) -> bytes | None:
        found = _fast_path_index(self.state, dataset)
        if found is None:
            return None
        index, wanted = found
        try:
            parsed = MatchRequest.model_validate_json(body)
        except ValueError:
            return None
        if len(parsed.queries) > MAX_QUERIES:
            return None
        queries = {k: ex.model_dump(by_alias=True) for k, ex in parsed.queries.items()}
        none: set[str] = set()
        args = (queries, wanted, none, set(none), DEFAULT_LIMIT, DEFAULT_THRESHOLD, DEFAULT_CUTOFF)
        try:
            return await _score_match(self.state, index, args)
        except QueryRejected:
            return None


def _fast_path_index(
    state: Any, dataset: str
) -> tuple[ScreeningIndex, frozenset[str] | None] | None:
    """The loaded index and the lists ``dataset`` names, or None when a short cut must
    leave the request to its route (no index yet, or a list the index does not hold)."""
    index = getattr(state, "screening", None)
    if not isinstance(index, ScreeningIndex):
        return None
    if dataset != DEFAULT_DATASET and dataset not in index.datasets:
        return None
    return index, _datasets(index, dataset, [], [])


async def _send_json(send: Send, payload: bytes) -> None:
    """A 200 JSON answer from a short cut, with the headers the route would send."""
    headers = [
        (b"content-length", str(len(payload)).encode()),
        (b"content-type", b"application/json"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _json_body(scope: Scope) -> bool:
    """A body FastAPI would read as JSON: no Content-Type, or a JSON one."""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            main = bytes(value).split(b";", 1)[0].strip().lower()
            return main == b"application/json" or main.endswith(b"+json")
    return True


def _replay(chunks: list[bytes], last: Message | None, receive: Receive) -> Receive:
    """A ``receive`` that hands the route the body already read, then the rest."""
    pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]
    if last is not None:
        pending.append(last)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


class QueryRejected(Exception):
    """A query the index cannot read (a 400); a plain exception so that it crosses
    back from a scoring worker process intact."""


def _match_payload(
    index: ScreeningIndex,
    queries: dict[str, dict[str, Any]],
    wanted: frozenset[str] | None,
    skip_ids: set[str],
    skip_schemata: set[str],
    limit: int,
    threshold: float,
    cutoff: float,
) -> bytes:
    """The ``MatchResponse`` body for ``body``'s queries, serialised."""
    responses: dict[str, dict[str, Any]] = {}
    for key, data in queries.items():
        try:
            query = index.query_record(data)
        except DualtraceError as exc:
            raise QueryRejected(f"query {key!r}: {exc}") from exc
        found = index.match(
            query,
            limit=limit + len(skip_ids),
            threshold=threshold,
            cutoff=cutoff,
            datasets=wanted,
        )
        results = []
        for res in found:
            if res.record.id in skip_ids or res.record.schema_name in skip_schemata:
                continue
            feats = {f.name: round(f.value, 4) for f in res.score.features}
            results.append(
                {
                    **entity_payload(res.record),
                    "score": res.score.score,
                    "match": res.score.match,
                    "features": feats,
                    "explanations": {f.name: f.to_dict() for f in res.score.features},
                    "reasons": res.score.reasons,
                }
            )
        results = results[:limit]
        responses[key] = {
            "status": 200,
            "results": results,
            "total": {"value": len(results), "relation": "eq"},
            "query": {"id": key, **data},
            "limit": limit,
        }
    body_out = {
        "responses": responses,
        "matcher": {"name": NAME, "features": feature_docs(), "threshold": threshold},
        "limit": limit,
    }
    return orjson.dumps(body_out)


async def _search(
    request: Request, dataset: str, q: str, schema: str | None, limit: int, offset: int
) -> Response:
    """The ``SearchResponse`` body (see :func:`_score_search`) as the route's answer."""
    index = screening_index(request)
    wanted = _datasets(index, dataset, [], [])
    try:
        payload = await _score_search(request.app.state, index, wanted, q, schema, limit, offset)
    except QueryRejected as exc:
        raise HTTPException(400, str(exc)) from exc
    return Response(payload, media_type="application/json")


async def _score_search(
    state: Any,
    index: ScreeningIndex,
    wanted: frozenset[str] | None,
    q: str,
    schema: str | None,
    limit: int,
    offset: int,
) -> bytes:
    """The ``SearchResponse`` body, scored like ``/match``: in a scoring worker when the
    server has them (a search scores up to 50 candidates, as much CPU as a screening
    request), else on the event loop."""
    args = (wanted, q, schema, limit, offset)
    pool = getattr(state, "scoring_pool", None)
    payload: bytes | None = None
    if q.strip() and isinstance(pool, ScoringPool) and pool.serves(index):
        payload = await pool.run(_search_payload, *args)
    if payload is None:
        payload = _search_payload(index, *args)
    return payload


_SEARCH_PATH = re.compile(r"/search(?:/([^/]+))?")
_SEARCH_PARAMS = frozenset({"q", "schema", "limit", "offset"})
_PLAIN_NUMBER = re.compile(r"[0-9]{1,9}")


class SearchFastPath:
    """``GET /search`` and ``GET /search/{dataset}`` answered without FastAPI's routing
    and parameter solving, as :class:`MatchFastPath` answers ``/match``: the same
    scoring and bytes as the route, inside the security layers.

    Only plain requests: ``q``, ``schema``, ``limit`` and ``offset`` each at most once,
    ``limit`` and ``offset`` plain decimal numbers within the route's bounds, a
    non-empty ``schema`` if given, a known dataset, a query the index accepts; anything
    else goes to the route, which gives its own answer or error. The query string is
    parsed exactly as Starlette parses it for the route (latin-1, then percent-decoded
    as UTF-8).
    """

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state
        state.search_fast_path_answered = 0  # requests answered here (tests, diagnosis)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "GET"
            or (found := _SEARCH_PATH.fullmatch(str(scope.get("path", "")))) is None
            or (params := _search_params(bytes(scope.get("query_string", b"")))) is None
            or (payload := await self._answer(found.group(1) or DEFAULT_DATASET, *params)) is None
        ):
            await self.app(scope, receive, send)
            return
        self.state.search_fast_path_answered += 1
        await _send_json(send, payload)

    async def _answer(
        self, dataset: str, q: str, schema: str | None, limit: int, offset: int
    ) -> bytes | None:
        found = _fast_path_index(self.state, dataset)
        if found is None:
            return None
        index, wanted = found
        try:
            return await _score_search(self.state, index, wanted, q, schema, limit, offset)
        except QueryRejected:
            return None


def _search_params(raw: bytes) -> tuple[str, str | None, int, int] | None:
    """(q, schema, limit, offset) of a plain search query string, else None."""
    pairs = urllib.parse.parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    given = dict(pairs)
    if len(given) != len(pairs) or not given.keys() <= _SEARCH_PARAMS:
        return None
    schema = given.get("schema")
    if schema == "":
        return None
    limit_text, offset_text = given.get("limit", "10"), given.get("offset", "0")
    if not (_PLAIN_NUMBER.fullmatch(limit_text) and _PLAIN_NUMBER.fullmatch(offset_text)):
        return None
    limit, offset = int(limit_text), int(offset_text)
    if not 1 <= limit <= MAX_LIMIT:
        return None
    return given.get("q", ""), schema, limit, offset


def _search_payload(
    index: ScreeningIndex,
    wanted: frozenset[str] | None,
    q: str,
    schema: str | None,
    limit: int,
    offset: int,
) -> bytes:
    """``SearchResponse``'s body for ``q``, serialised (as for ``/match``, building the
    shape directly and skipping pydantic's re-validation of every entity)."""
    if not q.strip():
        return orjson.dumps(
            {
                "results": [],
                "facets": {},
                "total": {"value": 0, "relation": "eq"},
                "limit": limit,
                "offset": offset,
            }
        )
    try:
        query = index.query_record({"schema": schema or "LegalEntity", "properties": {"name": [q]}})
    except DualtraceError as exc:
        raise QueryRejected(str(exc)) from exc
    found = index.match(
        query,
        limit=limit + offset,
        cutoff=0.0,
        datasets=wanted,
        candidates=50,
        check_schema=schema is not None,
    )
    page = found[offset : offset + limit]
    return orjson.dumps(
        {
            "results": [entity_payload(r.record) for r in page],
            "facets": {},
            "total": {"value": len(found), "relation": "eq"},
            "limit": limit,
            "offset": offset,
        }
    )


@router.get("/search", response_model=SearchResponse, summary="Search by name (all lists)")
async def search(
    request: Request,
    q: str = "",
    schema: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """Entities whose names match ``q`` in any script, best first."""
    return await _search(request, DEFAULT_DATASET, q, schema, limit, offset)


@router.get(
    "/search/{dataset}", response_model=SearchResponse, summary="Search by name in one list"
)
async def search_dataset(
    dataset: str,
    request: Request,
    q: str = "",
    schema: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """As ``/search``, restricted to one list (``default`` = all), as yente routes it."""
    return await _search(request, dataset, q, schema, limit, offset)


@router.get("/entities/{entity_id}", response_model=EntityResponse)
async def entity(entity_id: str, request: Request) -> dict[str, Any]:
    """One entity as screening sees it: properties, lists, first and last seen."""
    rec = screening_index(request).get(entity_id)
    if rec is None:
        raise HTTPException(404, f"no entity {entity_id!r}")
    return entity_payload(rec)


@router.get("/algorithms")
def algorithms() -> dict[str, Any]:
    """The matcher and its features' explanations (yente's ``/algorithms``)."""
    entry = {"name": NAME, "description": "dualtrace cross-script matcher", "docs": feature_docs()}
    return {"algorithms": [entry], "default": NAME, "best": NAME}


@router.get("/catalog")
def catalog(request: Request) -> dict[str, Any]:
    """Loaded lists, with ``default`` as the collection of all of them."""
    index = screening_index(request)
    names = sorted(index.datasets)
    datasets = [{"name": n, "title": n, "load": True, "children": []} for n in names]
    datasets.append({"name": DEFAULT_DATASET, "title": "All loaded lists", "load": True,
                     "children": names})  # fmt: skip
    return {"datasets": datasets, "current": names, "outdated": [], "index_stale": False}


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> dict[str, str]:
    screening_index(request)
    return {"status": "ok"}


__all__ = ["EntityResponse", "QueryResponse", "ScoredEntityResponse", "TotalSpec", "router"]
