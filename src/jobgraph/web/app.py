"""The FastAPI application: routes, content negotiation (every page has a JSON twin), errors as
``{"detail": …}`` with their status, and the security headers of every response."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import ExternalError, UsageError
from ..names import UnknownJob
from . import models, tables, views
from .i18n import LANGS, WORDS
from .site import Site
from .svg import sanitize

HERE = Path(__file__).resolve().parent
log = logging.getLogger("jobgraph.web")

Lang = Literal["fr", "en"]
LangQuery = Annotated[Lang, Query(description="language of headers, labels and words")]
RefId = Annotated[str, PathParam(pattern=r"^[a-z0-9-]{1,80}$", description="referential id",
                                 examples=["cci-2015"])]
JobId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9._-]{1,120}$",
                                 description="job id in its referential", examples=["juriste"])]
JobName = Annotated[str, Query(min_length=1, max_length=300,
                               description="a job: IRI, <referential>/<id> or its label",
                               examples=["missions-locales/assistant-administratif"])]
RomeCode = Annotated[str, PathParam(pattern=r"^[A-Z](\d{2}(\d{2})?)?$",
                                    description="ROME fiche (M1607), domaine (M16) or grand "
                                    "domaine (M)", examples=["M1607"])]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'; connect-src 'self'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Negotiation:
    """``/x.json`` is the JSON twin of the page ``/x``: the suffix is taken off the path and
    remembered (Datasette's rule); every response gets the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.endswith(".json") and path != "/openapi.json" and \
                not path.startswith(("/api/", "/static/")):
            scope = dict(scope)
            scope["path"] = path[:-len(".json")] or "/"
            scope["raw_path"] = scope["path"].encode()
            scope.setdefault("state", {})
            scope["state"] = {**scope["state"], "json": True}

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", [])
                           if h[0].lower() not in {k for k, _ in SECURITY_HEADERS}]
                message["headers"] = headers + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def wants_json(request: Request) -> bool:
    """A JSON answer for the API, a ``.json`` URL, or a client that prefers JSON to HTML."""
    if request.url.path.startswith("/api/") or getattr(request.state, "json", False):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status_code=status, media_type="application/json")


class Pages:
    """Jinja2 templates, autoescaped, with the words and link makers of the page's language."""

    def __init__(self) -> None:
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.globals["table"] = tables.table

    def render(self, request: Request, template: str, data: Any, *, lang: str,
               status: int = 200, title: str = "", **extra: Any) -> HTMLResponse:
        def url(path: str | None, **params: Any) -> str:
            """A link that keeps the page's language."""
            if path is None:
                return ""
            query = {k: v for k, v in params.items() if v not in (None, "")}
            if lang != "fr":
                query["lang"] = lang
            return path + ("?" + urlencode(query) if query else "")

        here = dict(request.query_params)
        here.pop("lang", None)
        other = "en" if lang == "fr" else "fr"
        switch = {**here, **({"lang": other} if other != "fr" else {})}
        json_query = {**here, **({"lang": lang} if lang != "fr" else {})}
        path = request.url.path
        twin = (path.rstrip("/") or "") + ("/.json" if path == "/" else ".json")
        html = self.env.get_template(template).render(
            data=data, w=WORDS[lang], lang=lang, url=url, title=title, version=__version__,
            switch_url=path + ("?" + urlencode(switch) if switch else ""),
            json_url=twin + ("?" + urlencode(json_query) if json_query else ""), **extra)
        return HTMLResponse(html, status_code=status)


def create_app(site: Site, *, warm: bool = False) -> FastAPI:
    """The application over ``site`` (``Site.embedded`` or ``Site.remote``); ``warm``: read what
    every search and referential page needs in the background as soon as it starts."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm:
            threading.Thread(target=views.warm, args=(site,), name="jobgraph-warm",
                             daemon=True).start()
        yield
        drawer.close()

    app = FastAPI(lifespan=lifespan, title="jobgraph", version=__version__, docs_url=None,
                  redoc_url=None,
                  description="Read-only JSON API over jobgraph's knowledge graph of French job "
                  "referentials linked to ROME 4.0 and ESCO. Every page of the web application "
                  "has the same data at its URL ending in .json; answers cite IRIs.")
    pages = Pages()
    from ..drawing import Dot

    drawer = Dot()  # one Graphviz process for every path drawing of this worker
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def kept_response(request: Request, as_json: bool, make: Callable[[], Response]) -> Response:
        """``make()``'s bytes, kept per URL (and page or JSON twin) for this version of the data:
        a page asked again is neither made nor rendered."""
        def made() -> tuple[bytes, str]:
            response = make()
            return bytes(response.body), response.media_type or "text/html"

        key = f"{int(as_json)} {request.url.path} {request.url.query}"
        body, media = site.kept("response", key, made, size=views.ANSWERS_KEPT)
        return Response(body, media_type=media)

    def respond(request: Request, template: str, data: Any, *, lang: str, title: str,
                **extra: Any) -> Response:
        """The page or its JSON twin, kept (the screen's data is kept too)."""
        as_json = wants_json(request)
        return kept_response(request, as_json, lambda: _json(data) if as_json else pages.render(
            request, template, data, lang=lang, title=title, **extra))

    def error(request: Request, status: int, detail: Any, lang: str = "fr") -> Response:
        if wants_json(request):
            return _json({"detail": detail}, status)
        if lang not in LANGS:
            lang = "fr"
        title = WORDS[lang]["not_found" if status == 404 else "bad_request" if status == 400
                            else "error"]
        return pages.render(request, "error.html", {"detail": detail, "status": status},
                            lang=lang, status=status, title=title)

    def lang_of(request: Request) -> str:
        lang = request.query_params.get("lang", "fr")
        return lang if lang in LANGS else "fr"

    @app.exception_handler(UnknownJob)
    async def unknown_job(request: Request, exc: UnknownJob) -> Response:
        detail = {"message": str(exc).split("\n")[0].rstrip(":;"), "name": exc.spec,
                  "ambiguous": exc.ambiguous,
                  "candidates": [views.candidate_json(c) for c in exc.candidates]}
        return error(request, 404, detail, lang_of(request))

    @app.exception_handler(LookupError)
    async def not_found(request: Request, exc: LookupError) -> Response:
        return error(request, 404, f"nothing is named {str(exc)[:100]!r} here", lang_of(request))

    @app.exception_handler(UsageError)
    async def usage(request: Request, exc: UsageError) -> Response:
        return error(request, 400, str(exc)[:500], lang_of(request))

    @app.exception_handler(ExternalError)
    async def external(request: Request, exc: ExternalError) -> Response:
        log.error("external failure on %s: %s", request.url.path, exc)
        return error(request, 503, str(exc)[:300], lang_of(request))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        messages = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path"))
            messages.append(f"parameter {where}: {e.get('msg', 'invalid')}")
        return error(request, 400, "; ".join(messages)[:500], lang_of(request))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        response = error(request, exc.status_code, exc.detail, lang_of(request))
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("error on %s", request.url.path)  # the trace goes to the log, not the page
        return error(request, 500, "internal error (the server's log says more)",
                     lang_of(request))

    def page(path: str, *, api: bool = True, model: Any = None,
             summary: str = "") -> Callable[[Any], Any]:
        """Register a screen at ``path`` (HTML, or JSON as negotiated) and at ``/api<path>``."""
        def register(fn: Any) -> Any:
            app.add_api_route(path, fn, methods=["GET"], include_in_schema=False)
            if api:
                app.add_api_route("/api" + (path if path != "/" else "/search"), fn,
                                  methods=["GET"], response_model=model, summary=summary,
                                  responses=models.ERRORS, response_class=JSONResponse)
            return fn
        return register

    @page("/", api=False)
    @page("/search", model=models.Search, summary="jobs and ROME fiches matching a text")
    def search(request: Request, q: Annotated[str, Query(max_length=200)] = "",
               lang: LangQuery = "fr") -> Response:
        data = views.cached(site, views.search, q, lang)
        return respond(request, "search.html", data, lang=lang, title=q or WORDS[lang]["search"])

    @page("/job/{rid}/{jid}", model=models.Job, summary="one job of a referential")
    def job(request: Request, rid: RefId, jid: JobId, lang: LangQuery = "fr") -> Response:
        data = views.cached(site, views.job, rid, jid, lang)
        return respond(request, "job.html", data, lang=lang, title=data["label"])

    @page("/job/{rid}/{jid}/equivalents", model=models.JobAnswer,
          summary="jobs of other referentials equivalent to a job (stored question "
                  "equivalent-jobs)")
    def equivalents(request: Request, rid: RefId, jid: JobId,
                    lang: LangQuery = "fr") -> Response:
        data = views.cached(site, views.job_answer, rid, jid, "equivalent-jobs", lang)
        return respond(request, "answer.html", data, lang=lang,
                       title=f"{WORDS[lang]['equivalents']} — {data['job']['label']}",
                       heading=WORDS[lang]["equivalents"], tab="equivalents")

    @page("/job/{rid}/{jid}/next-steps", model=models.JobAnswer,
          summary="steps up from a job (stored question next-steps)")
    def next_steps(request: Request, rid: RefId, jid: JobId,
                   lang: LangQuery = "fr") -> Response:
        data = views.cached(site, views.job_answer, rid, jid, "next-steps", lang)
        return respond(request, "answer.html", data, lang=lang,
                       title=f"{WORDS[lang]['next_steps']} — {data['job']['label']}",
                       heading=WORDS[lang]["next_steps"], tab="next-steps")

    @page("/gap", model=models.Gap, summary="what a job requires that another does not "
          "(stored question competence-gap)")
    def gap(request: Request, from_: Annotated[str, Query(alias="from", min_length=1,
                                                          max_length=300)],
            to: JobName, lang: LangQuery = "fr") -> Response:
        data = views.cached(site, views.gap, from_, to, lang)
        return respond(request, "gap.html", data, lang=lang,
                       title=f"{WORDS[lang]['gap']} — {data['from']['label']} → "
                             f"{data['to']['label']}")

    def path_svg(found: Any, lang: str) -> str:
        from ..drawing import render

        return str(site.kept("svg", f"{found.source} {found.target} {lang}",
                             lambda: render(found, "svg", lang=lang, drawer=drawer)))

    @page("/path", model=models.Path,
          summary="the most plausible career paths from one job to another, best first")
    def path(request: Request, from_: Annotated[str, Query(alias="from", min_length=1,
                                                           max_length=300)],
             to: JobName, lang: LangQuery = "fr") -> Response:
        kept, found = views.cached(site, views.career_path, from_, to, lang)
        data = dict(kept)  # the kept answer is shared: the drawing's URL goes in a copy
        data["drawing"] = f"/path.svg?{urlencode({'from': from_, 'to': to, 'lang': lang})}"
        if wants_json(request):
            return _json(data)

        def make() -> Response:
            drawing = ""
            if found.paths:
                try:
                    drawing = sanitize(path_svg(found, lang),
                                       label=f"{data['from']['label']} → {data['to']['label']}")
                except (ExternalError, ValueError) as exc:  # no Graphviz: the steps are listed
                    log.warning("path drawing: %s", exc)
            return pages.render(request, "path.html", data, lang=lang, drawing=drawing,
                                title=f"{WORDS[lang]['path']} — {data['from']['label']} → "
                                      f"{data['to']['label']}")

        return kept_response(request, False, make)  # a pair asked again: neither drawn nor rendered

    @app.get("/path.svg", include_in_schema=False)
    def path_drawing(from_: Annotated[str, Query(alias="from", min_length=1, max_length=300)],
                     to: JobName, lang: LangQuery = "fr") -> Response:
        _, found = views.cached(site, views.career_path, from_, to, lang)
        if not found.paths:
            raise LookupError(f"{from_} → {to}")
        return Response(sanitize(path_svg(found, lang)), media_type="image/svg+xml")

    @page("/rome/{code}", model=models.Rome, summary="a ROME fiche, domaine or grand domaine")
    def rome(request: Request, code: RomeCode, lang: LangQuery = "fr") -> Response:
        data = views.cached(site, views.rome, code, lang)
        title = f"{code} {data['fiche']['label']}" if data["fiche"] else code
        return respond(request, "rome.html", data, lang=lang, title=title)

    @page("/referentials", model=models.Referentials, summary="every referential, with counts")
    def referentials(request: Request, lang: LangQuery = "fr") -> Response:
        data = views.cached(site, views.referentials, lang)
        return respond(request, "referentials.html", data, lang=lang,
                       title=WORDS[lang]["referentials"])

    @page("/referential/{rid}", model=models.Referential,
          summary="a referential: scale, levels, families, counts, jobs by level")
    def referential(request: Request, rid: RefId, lang: LangQuery = "fr") -> Response:
        data = views.cached(site, views.referential, rid, lang)
        return respond(request, "referential.html", data, lang=lang, title=data["title"])

    @page("/referential/{rid}/validation", model=models.Validation,
          summary="a referential's validation findings, filtered")
    def validation(request: Request, rid: RefId,
                   severity: Annotated[Literal["", "violation", "warning", "info"],
                                       Query(description="empty: all")] = "",
                   rule: Annotated[str, Query(max_length=200, description="empty: all")] = "",
                   accepted: Annotated[Literal["", "yes", "no"],
                                       Query(description="empty: all")] = "",
                   lang: LangQuery = "fr") -> Response:
        # the page's form sends every filter, empty for "all"
        data = views.validation(site, rid, lang, severity=severity or None, rule=rule or None,
                                accepted=None if not accepted else accepted == "yes")
        return respond(request, "validation.html", data, lang=lang,
                       title=f"{WORDS[lang]['validation']} — {rid}")

    return app


__all__ = ["CSP", "SECURITY_HEADERS", "create_app", "wants_json"]
