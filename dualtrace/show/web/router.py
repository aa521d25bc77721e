"""The web workspace router: server-rendered pages over the store, mounted under /web.

Pages are plain HTML forms and links so everything works by keyboard and without
scripts; the only scripts are static files (the network view and small progressive
enhancements), because the server's Content-Security-Policy forbids inline scripts.
The router is independent of the API app: ``create_web_router(store_path)`` returns an
``APIRouter`` that any FastAPI app can include.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from fastapi.templating import Jinja2Templates

from dualtrace.errors import DualtraceError, InputError, NotFoundError, StoreError
from dualtrace.graph.adjacency import pinned, store_index, warm
from dualtrace.show.report import capabilities, render
from dualtrace.show.report.dossier import build_dossier, check_as_of
from dualtrace.show.report.neighbourhood import describe_nodes, neighbourhood
from dualtrace.show.report.screening_export import export_csv, export_xlsx
from dualtrace.show.web import cases as case_book
from dualtrace.show.web import documents_view, screening_jobs
from dualtrace.show.web.paging import paginate
from dualtrace.store.duckdb_store import Store

T = TypeVar("T")
WEB_DIR = Path(__file__).parent
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
log = logging.getLogger(__name__)
SAFE_STATIC = re.compile(r"^[A-Za-z0-9_-]+\.(css|js|svg|png)$")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SEARCH_LIMIT = 500
PAGE_SIZE = 50


StoreSource = Store | Path | str | Callable[[], Store] | None


class Workspace:
    """The store the pages read and write, opened on first use and shared by requests.

    DuckDB connections are not safe for concurrent use from several threads, and
    FastAPI runs plain handlers in a thread pool, so every use goes through one lock.
    A store object may be passed in instead of a path, so the API app can share its own;
    with no source at all the store path is taken from the including app
    (``app.state.store_path``, set by :func:`dualtrace.show.api.app.create_app`).
    """

    def __init__(self, store: StoreSource) -> None:
        self._source = store
        self._store: Store | None = store if isinstance(store, Store) else None
        self._lock = threading.RLock()
        self._screener: screening_jobs.Screener | None = None
        self.jobs = screening_jobs.JobRegistry()

    def bind(self, request: Request) -> None:
        """Take the store path from the app this router is mounted in, if not given."""
        self.bind_app(request.app)
        if self._source is None:
            raise StoreError("the workspace has no store: start it with dualtrace serve")

    def bind_app(self, app: Any) -> None:
        if self._source is None:
            path = getattr(app.state, "store_path", None)
            if path is not None:
                self._source = Path(path)

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        """Before serving, build what the first page would otherwise wait for; close the
        store at shutdown.

        Like the API's screening index, the workspace's entity index is built before the
        server accepts requests, so "ready" means the profile and network view open at
        their usual speed; the capability probes import the ownership-rules, trade and
        documents code at the same time. Both run in a worker thread (the event loop
        stays free) and take seconds on the full SDN list on a busy machine.
        """
        self.bind_app(app)
        await asyncio.to_thread(self.prepare)
        yield
        self.close()

    def prepare(self) -> None:
        # the imports are Python work, the index build mostly DuckDB (which releases the
        # GIL): side by side they overlap
        probe = threading.Thread(target=capabilities.capability_status, daemon=True)
        probe.start()
        try:
            if self._source is not None:
                with self.reading() as st:
                    store_index(st).at(st, None)
        except DualtraceError as exc:  # no store yet: pages say so when asked
            log.warning("workspace: %s", exc)
        finally:
            probe.join()

    @contextmanager
    def store(self) -> Iterator[Store]:
        with self._lock:
            if self._store is None:
                src = self._source
                if src is None:
                    raise StoreError("the workspace has no store yet")
                if isinstance(src, Store):
                    self._store = src
                elif isinstance(src, (Path, str)):
                    self._store = Store.open(Path(src))
                else:
                    self._store = src()
            yield self._store

    @contextmanager
    def reading(self) -> Iterator[Store]:
        """The store for a page that only reads: the store version is checked once and
        the entity index (:mod:`dualtrace.graph.adjacency`) shared by all its lookups."""
        with self.store() as st, pinned(st):
            yield st

    def screener(self, request: Request) -> screening_jobs.Screener:
        """The API app's screening index when mounted there, else one built once here."""
        app_index = getattr(request.app.state, "screening", None)
        if app_index is not None:
            return screening_jobs.load_screener(index=app_index)
        if self._screener is None:
            with self.store() as st:
                self._screener = screening_jobs.load_screener(store=st)
        return self._screener

    def close(self) -> None:
        with self._lock:
            if self._store is not None and not isinstance(self._source, Store):
                self._store.close()
            self._store = None


def _templates() -> Jinja2Templates:
    # The report's templates come second so pages can import the partials they share with
    # the report (trade flows) instead of keeping copies.
    report_templates = WEB_DIR.parent / "report" / "templates"
    templates = Jinja2Templates(directory=[WEB_DIR / "templates", report_templates])
    env = templates.env
    env.globals["capabilities"] = capabilities.capability_status
    env.globals["unavailable"] = capabilities.unavailable
    env.globals["csrf_token"] = _csrf_token
    env.globals["current_user"] = _current_user
    env.globals["today"] = lambda: dt.date.today().isoformat()
    return templates


def _csrf_token(request: Request) -> str:
    """The caller's session CSRF token, for the hidden field of every form.

    The security middleware (``dualtrace.security``) puts the authenticated principal on
    ``request.state``; sessions carry the token that POSTs must echo. API keys and
    anonymous local mode need none, so the field is then empty.
    """
    principal = getattr(request.state, "principal", None)
    session = getattr(principal, "session", None)
    return str(getattr(session, "csrf_token", "") or "")


def _current_user(request: Request) -> str | None:
    """Who is signed in (for the header and for authorship of notes and decisions)."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return None
    return str(getattr(principal, "actor", None) or getattr(principal, "name", ""))


def _valid_date(value: str | None, field: str = "as_of") -> str | None:
    return check_as_of(value, field)


def create_web_router(store: StoreSource = None, prefix: str = "/web") -> APIRouter:
    """The workspace's pages, JSON for the network view, exports and static files.

    ``store`` may be omitted when the router is included in the API app, which tells it
    the store path through ``app.state.store_path``.
    """
    ws = Workspace(store)
    templates = _templates()
    router = APIRouter(
        prefix=prefix,
        include_in_schema=False,
        dependencies=[Depends(ws.bind)],
        lifespan=ws.lifespan,
    )

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("prefix", prefix)
        return templates.TemplateResponse(request, name, context, status_code=status)

    def guarded(request: Request, fn: Callable[[], Response]) -> Response:
        """User errors become a readable page with the right status, never a traceback."""
        try:
            return fn()
        except NotFoundError as exc:
            return page(request, "error.html", 404, title="Not found", message=str(exc))
        except DualtraceError as exc:
            return page(request, "error.html", 400, title="Cannot do that", message=str(exc))

    def author(request: Request) -> str | None:
        return _current_user(request)

    def form_write(
        request: Request,
        write: Callable[[Store], T],
        then: Callable[[T], str],
        reindex: bool = False,
    ) -> Response:
        """A form POST: one write to the store, then 303 to the page showing the result
        (``then`` gives its path under the prefix), so reloading does not post again.
        User errors become a page like any other. ``reindex`` rebuilds the entity index
        in the background when the write changed statements (accepted claims are
        published as statements), so the next profile does not wait for it."""

        def run() -> Response:
            with ws.store() as st:
                result = write(st)
                if reindex:
                    warm(st)
            return RedirectResponse(f"{prefix}{then(result)}", status_code=303)

        return guarded(request, run)

    # ------------------------------------------------------------------ static files

    @router.get("/static/{name}")
    def static(name: str) -> Response:
        if not SAFE_STATIC.match(name):
            return Response("not found", status_code=404)
        ref = resources.files("dualtrace.show.web").joinpath("static", name)
        if not ref.is_file():
            return Response("not found", status_code=404)
        return Response(
            ref.read_bytes(),
            media_type=STATIC_TYPES[Path(name).suffix],
            headers={"Cache-Control": "public, max-age=3600"},
        )

    # ------------------------------------------------------------------ search

    @router.get("", response_class=HTMLResponse)
    @router.get("/", response_class=HTMLResponse)
    def home() -> Response:
        return RedirectResponse(f"{prefix}/search", status_code=303)

    @router.get("/search", response_class=HTMLResponse)
    def search(
        request: Request,
        q: str = "",
        schema: Annotated[list[str] | None, Query()] = None,
        country: Annotated[list[str] | None, Query()] = None,
        dataset: Annotated[list[str] | None, Query()] = None,
        risk: Annotated[list[str] | None, Query()] = None,
        as_of: str | None = None,
    ) -> Response:
        def run() -> Response:
            date = _valid_date(as_of)
            results: list[dict[str, Any]] = []
            facets: dict[str, Counter[str]] = {
                "schema": Counter(),
                "country": Counter(),
                "dataset": Counter(),
                "risk": Counter(),
            }
            total = 0
            with ws.reading() as st:
                hits = st.search_names(q, limit=SEARCH_LIMIT, as_of=date) if q.strip() else []
                nodes = describe_nodes(st, [h[0] for h in hits], as_of=date)
            chosen = {
                "schema": set(schema or []),
                "country": set(country or []),
                "dataset": set(dataset or []),
                "risk": set(risk or []),
            }
            for cid, hit_schema, matched, _datasets in hits:
                node = nodes.get(cid)
                if node is None:
                    continue
                values = {
                    "schema": {node.schema or hit_schema},
                    "country": set(node.countries),
                    "dataset": set(node.datasets),
                    "risk": {"listed" if node.listed else "not listed"},
                }
                for key, vals in values.items():
                    for v in vals:
                        facets[key][v] += 1
                if all(not chosen[k] or chosen[k] & values[k] for k in chosen):
                    total += 1
                    if len(results) < PAGE_SIZE:
                        results.append({"node": node, "matched": matched})
            return page(
                request,
                "search.html",
                title=f"Search: {q}" if q else "Search",
                q=q,
                as_of=date or "",
                results=results,
                total=total,
                hits=len(hits),
                facets={k: v.most_common(15) for k, v in facets.items()},
                chosen=chosen,
            )

        return guarded(request, run)

    # ------------------------------------------------------------------ entities

    @router.get("/entities/{entity_id}", response_class=HTMLResponse)
    def entity(request: Request, entity_id: str, as_of: str | None = None) -> Response:
        def run() -> Response:
            date = _valid_date(as_of)
            query = dict(request.query_params)
            with ws.reading() as st:
                dossier = build_dossier(st, entity_id, as_of=date, quotes=documents_view.quoter(st))
                extras = render.capability_sections(st, dossier, rules=False)
                open_cases = [c for c in case_book.list_cases(st) if c.status != "closed"]
            # long tables are shown a page at a time (an entity may have hundreds of links)
            pages = {
                "chain": paginate(dossier.chain, query, "chain_page", "h-chain"),
                "relations": paginate(dossier.relations, query, "relations_page", "h-rel"),
                "timeline": paginate(dossier.timeline, query, "timeline_page", "h-time"),
                "evidence": paginate(dossier.evidence, query, "evidence_page", "h-evidence"),
            }
            return page(
                request,
                "entity.html",
                title=dossier.caption,
                d=dossier,
                extras=extras,
                as_of=date or "",
                cases=open_cases,
                pages=pages,
                evidence_open="evidence_page" in query,
            )

        return guarded(request, run)

    @router.get("/entities/{entity_id}/ownership", response_class=HTMLResponse)
    def entity_ownership(request: Request, entity_id: str, as_of: str | None = None) -> Response:
        """Status under each ownership rule as of a date (computed on request: the rules
        rebuild the ownership graph, which takes from a second to minutes)."""

        def run() -> Response:
            date = _valid_date(as_of)
            with ws.reading() as st:
                cid = store_index(st).resolve(st, entity_id)
                node = describe_nodes(st, [cid]).get(cid)
                if not capabilities.capability_status()["ownership"].available:
                    raise DualtraceError(capabilities.unavailable("ownership"))
                status = render.ownership_status(st, cid, date)
                flags = (
                    render.red_flags(st, cid, date)
                    if capabilities.capability_status()["flags"].available
                    else {"items": [], "message": capabilities.unavailable("flags")}
                )
            return page(
                request,
                "ownership.html",
                title=f"Ownership rules and red flags: {node.caption if node else cid}",
                node=node,
                entity_id=cid,
                own=status,
                flags=flags,
                as_of=date or "",
            )

        return guarded(request, run)

    @router.get("/entities/{entity_id}/network", response_class=HTMLResponse)
    def network_page(request: Request, entity_id: str, as_of: str | None = None) -> Response:
        def run() -> Response:
            date = _valid_date(as_of)
            with ws.reading() as st:
                cid = store_index(st).resolve(st, entity_id)
                nodes = describe_nodes(st, [cid], as_of=date)
            node = nodes.get(cid)
            return page(
                request,
                "network.html",
                title=f"Network: {node.caption if node else cid}",
                node=node,
                entity_id=cid,
                as_of=date or "",
            )

        return guarded(request, run)

    @router.get("/api/network")
    def network_json(
        request: Request,
        id: Annotated[list[str], Query()],
        as_of: str | None = None,
    ) -> Response:
        """Neighbours of one or more entities, for the network view's expand action."""
        try:
            date = _valid_date(as_of)
            if not id or len(id) > 200:
                raise InputError("give between 1 and 200 ids", field="id")
            with ws.reading() as st:
                si = store_index(st)
                ids = [si.resolve(st, i) for i in id]
                net = neighbourhood(st, ids, as_of=date)
        except NotFoundError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=404)
        except DualtraceError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return JSONResponse(net.to_dict())

    @router.get("/entities/{entity_id}/report.{fmt}")
    def entity_report(
        request: Request, entity_id: str, fmt: str, as_of: str | None = None
    ) -> Response:
        def run() -> Response:
            date = _valid_date(as_of)
            with ws.reading() as st:
                report = render.entity_report(st, entity_id, as_of=date)
            return _report_response(report, fmt, prefix)

        return guarded(request, run)

    # ------------------------------------------------------------------ screening

    @router.get("/screen", response_class=HTMLResponse)
    def screen_page(request: Request) -> Response:
        return page(request, "screen.html", title="Screening", query=None, results=None)

    @router.post("/screen", response_class=HTMLResponse)
    def screen_one(
        request: Request,
        name: Annotated[str, Form()],
        schema_name: Annotated[str, Form(alias="schema")] = "LegalEntity",
        country: Annotated[str, Form()] = "",
        identifier: Annotated[str, Form()] = "",
    ) -> Response:
        def run() -> Response:
            query = screening_jobs.ScreeningQuery(
                row=1,
                name=name.strip(),
                schema=schema_name,
                country=country.strip(),
                identifier=identifier.strip(),
            )
            if not query.name:
                raise InputError("enter a name to screen", field="name")
            screener = ws.screener(request)
            with ws.store() as st:
                results = screener.screen(st, query)
            return page(request, "screen.html", title="Screening", query=query, results=results)

        return guarded(request, run)

    @router.post("/screen/batch")
    async def screen_batch(request: Request, file: Annotated[UploadFile, File()]) -> Response:
        data = await file.read(MAX_UPLOAD_BYTES + 1)

        def run() -> Response:
            if len(data) > MAX_UPLOAD_BYTES:
                raise InputError(
                    f"upload larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
                    file=file.filename,
                )
            queries = screening_jobs.read_queries(file.filename or "upload.csv", data)
            screener = ws.screener(request)
            job = ws.jobs.start(queries, screener, ws.store, file.filename or "upload")
            return RedirectResponse(f"{prefix}/screen/jobs/{job.job_id}", status_code=303)

        return guarded(request, run)

    @router.get("/screen/jobs/{job_id}", response_class=HTMLResponse)
    def screen_job(request: Request, job_id: str) -> Response:
        def run() -> Response:
            job = ws.jobs.get(job_id)
            return page(request, "screen_job.html", title=f"Screening {job.filename}", job=job)

        return guarded(request, run)

    @router.get("/screen/jobs/{job_id}/progress")
    def screen_job_progress(job_id: str) -> Response:
        try:
            job = ws.jobs.get(job_id)
        except NotFoundError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return JSONResponse(job.progress())

    @router.get("/screen/jobs/{job_id}/results.{fmt}")
    def screen_job_export(request: Request, job_id: str, fmt: str) -> Response:
        def run() -> Response:
            job = ws.jobs.get(job_id)
            if not job.done:
                raise InputError("screening still running; export when it has finished")
            stem = Path(job.filename).stem or "screening"
            if fmt == "csv":
                return Response(
                    export_csv(job.results),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{stem}-results.csv"'},
                )
            if fmt == "xlsx":
                return Response(
                    export_xlsx(job.results),
                    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{stem}-results.xlsx"'},
                )
            raise NotFoundError(f"no export format {fmt!r} (csv or xlsx)")

        return guarded(request, run)

    # ------------------------------------------------------------------ documents

    @router.get("/documents", response_class=HTMLResponse)
    def documents(request: Request) -> Response:
        def run() -> Response:
            with ws.store() as st:
                docs = documents_view.list_documents(st)
            return page(request, "documents.html", title="Documents", docs=docs)

        return guarded(request, run)

    @router.get("/documents/{doc_id}", response_class=HTMLResponse)
    def document(request: Request, doc_id: str) -> Response:
        def run() -> Response:
            with ws.store() as st:
                view = documents_view.document_view(st, doc_id)
                open_cases = [c for c in case_book.list_cases(st) if c.status != "closed"]
            return page(request, "document.html", title=view.title, doc=view, cases=open_cases)

        return guarded(request, run)

    @router.post("/documents/{doc_id}/claims/{claim_id}")
    def review_claim(
        request: Request,
        doc_id: str,
        claim_id: str,
        decision: Annotated[str, Form()],
        value: Annotated[str, Form()] = "",
    ) -> Response:
        who = author(request)
        return form_write(
            request,
            lambda st: documents_view.review(st, claim_id, decision, value or None, who),
            lambda _: f"/documents/{doc_id}#claim-{claim_id}",
            reindex=True,
        )

    # ------------------------------------------------------------------ cases

    @router.get("/cases", response_class=HTMLResponse)
    def cases(request: Request) -> Response:
        def run() -> Response:
            with ws.store() as st:
                all_cases = case_book.list_cases(st)
            return page(request, "cases.html", title="Cases", cases=all_cases)

        return guarded(request, run)

    @router.post("/cases")
    def create_case(
        request: Request,
        title: Annotated[str, Form()],
        summary: Annotated[str, Form()] = "",
    ) -> Response:
        return form_write(
            request,
            lambda st: case_book.create_case(st, title, summary, author(request)),
            lambda case: f"/cases/{case.case_id}",
        )

    @router.get("/cases/{case_id}", response_class=HTMLResponse)
    def case(request: Request, case_id: str) -> Response:
        def run() -> Response:
            with ws.reading() as st:
                c = case_book.get_case(st, case_id)
                nodes = describe_nodes(st, c.entity_ids)
            return page(
                request,
                "case.html",
                title=c.title,
                case=c,
                nodes=nodes,
                statuses=case_book.CASE_STATUSES,
            )

        return guarded(request, run)

    @router.post("/cases/add-item")
    def case_add_item(
        request: Request,
        case_id: Annotated[str, Form()],
        kind: Annotated[str, Form()],
        ref: Annotated[str, Form()],
        label: Annotated[str, Form()] = "",
    ) -> Response:
        """Add an entity or document to a case from its page; lands on the case."""

        return form_write(
            request,
            lambda st: case_book.add_item(st, case_id, kind, ref, label, author(request)),
            lambda _: f"/cases/{case_id}",
        )

    @router.post("/cases/{case_id}/items/remove")
    def case_remove_item(
        request: Request,
        case_id: str,
        kind: Annotated[str, Form()],
        ref: Annotated[str, Form()],
    ) -> Response:
        return form_write(
            request,
            lambda st: case_book.remove_item(st, case_id, kind, ref),
            lambda _: f"/cases/{case_id}",
        )

    @router.post("/cases/{case_id}/notes")
    def case_add_note(
        request: Request,
        case_id: str,
        text: Annotated[str, Form()],
        kind: Annotated[str, Form()] = "note",
    ) -> Response:
        return form_write(
            request,
            lambda st: case_book.add_note(st, case_id, text, kind, author(request)),
            lambda _: f"/cases/{case_id}#notes",
        )

    @router.post("/cases/{case_id}/status")
    def case_status(request: Request, case_id: str, status: Annotated[str, Form()]) -> Response:
        return form_write(
            request,
            lambda st: case_book.set_status(st, case_id, status, author(request)),
            lambda _: f"/cases/{case_id}",
        )

    @router.get("/cases/{case_id}/report.{fmt}")
    def case_report(request: Request, case_id: str, fmt: str, as_of: str | None = None) -> Response:
        def run() -> Response:
            date = _valid_date(as_of)
            with ws.reading() as st:
                report = render.case_report(st, case_id, as_of=date)
            return _report_response(report, fmt, prefix)

        return guarded(request, run)

    router.workspace = ws  # type: ignore[attr-defined]
    return router


def _report_response(report: render.Report, fmt: str, prefix: str) -> Response:
    if fmt == "html":
        return HTMLResponse(render.to_html(report, css_href=f"{prefix}/static/report.css"))
    if fmt == "pdf":
        return Response(
            render.to_pdf(report),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{report.filename}.pdf"'},
        )
    raise NotFoundError(f"no report format {fmt!r} (html or pdf)")


# The router the API app includes (``ROUTER_MODULES`` in dualtrace.show.api.app); it
# finds its store through the app's state.
router = create_web_router()
