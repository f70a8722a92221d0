"""HTTP to a SPARQL server: SPARQLWrapper for queries and updates, httpx for the Graph Store
Protocol and the first contact; one retry policy, one error mapping, no credential in a message."""

from __future__ import annotations

import ast
import base64
import contextlib
import http.client
import math
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import warnings
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from ..errors import EndpointError, UsageError

DEFAULT_TIMEOUT = 60.0
JSON_RESULTS = "application/sparql-results+json"

# Virtuoso reports a query it cannot run as HTTP 500 with an SQL state: that is no transient error
_VIRTUOSO_ERROR_RE = re.compile(r"^Virtuoso (?!40001|S1T00)[0-9A-Z]{5} Error")
# an Authorization header as a server may echo it: in a header dump, a JSON object, an HTML page
_AUTH_HEADER_RE = re.compile(r"(?im)\b(?:proxy-)?authori[sz]ation\b[\"']?\s*[:=].*$")
_AUTH_VALUE_RE = re.compile(r"(?i)\b(?:basic|bearer)\s+[A-Za-z0-9+/=._~-]{6,}"
                            r"|\bdigest\s+(?:[\w-]+=(?:\"[^\"]*\"|[^\s,\"]+)[\s,]*)+")
_REMOVED = "[credentials removed]"

T = TypeVar("T")


# --- where and how to reach a server --------------------------------------------------------------

@dataclass(frozen=True)
class RetryPolicy:
    """Retries of a request after a transient failure: bounded in count and in seconds."""

    attempts: int = 4
    first_delay: float = 0.5
    max_delay: float = 8.0
    budget: float = 180.0

    def delays(self) -> Iterator[float]:
        delay = self.first_delay
        for _ in range(self.attempts - 1):
            yield delay
            delay = min(delay * 2, self.max_delay)


@dataclass(frozen=True)
class Endpoint:
    """A SPARQL server's URLs and credentials; the password is kept out of ``repr``."""

    query: str
    update: str | None = None
    gsp: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        for url in (self.query, self.update, self.gsp):
            if url is None:
                continue
            parts = urllib.parse.urlsplit(url)
            if parts.scheme not in ("http", "https"):
                raise UsageError(f"endpoint URL must start with http:// or https://, got "
                                 f"{safe_url(url)!r}")
            if "@" in parts.netloc:
                # urllib would read "user:password@host" as a host name ("unknown host"), and a
                # password on the command line shows in process lists and shell histories
                what = "a user name and password" if ":" in parts.netloc.rsplit("@", 1)[0] \
                    else "a user name"
                raise UsageError(f"the endpoint URL {safe_url(url)} holds {what} before the "
                                 "host: write the URL without it, and give --user NAME and "
                                 "--password-env VARIABLE (the password read from that "
                                 "environment variable)")
        if not (isinstance(self.timeout, int | float) and math.isfinite(self.timeout)
                and self.timeout > 0):
            raise UsageError("the timeout must be a finite number of seconds above 0")

    @property
    def update_url(self) -> str:
        return self.update or self.query

    def secrets(self) -> list[str]:
        """What must never be shown: the password, plain, URL-quoted and as Basic credentials."""
        if not self.password:
            return []
        pair = f"{self.user or ''}:{self.password}".encode()
        coded = base64.b64encode(pair).decode("ascii")
        found = {self.password, urllib.parse.quote(self.password, safe=""),
                 urllib.parse.quote_plus(self.password), coded, coded.rstrip("="),
                 base64.urlsafe_b64encode(pair).decode("ascii").rstrip("=")}
        return sorted((s for s in found if len(s) >= 3), key=len, reverse=True)


def safe_url(url: str) -> str:
    """The URL without any ``user:password@`` part, for messages."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def scrub(text: str, endpoint: Endpoint | None = None) -> str:
    """``text`` without anything that looks like an Authorization header or value, nor the
    endpoint's password in any of the forms a request carries it."""
    text = _AUTH_HEADER_RE.sub(f"Authorization: {_REMOVED}", text)
    text = _AUTH_VALUE_RE.sub(_REMOVED, text)
    for secret in endpoint.secrets() if endpoint is not None else []:
        text = text.replace(secret, _REMOVED)
    return text


def excerpt(body: bytes | str, endpoint: Endpoint | None = None, limit: int = 300) -> str:
    """The start of a server's answer for a message: tags and credentials removed, one line."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = scrub(text, endpoint)  # before the lines are joined: a header ends at its line's end
    text = re.sub(r"<[^>]+>", " ", text) if "<html" in text[:500].lower() else text
    text = " ".join(text.split())
    return text[:limit] + ("…" if len(text) > limit else "")


# --- errors -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Challenge:
    """How a server asked for credentials: ``WWW-Authenticate``'s scheme and realm."""

    scheme: str  # "basic" or "digest"
    realm: str | None = None


def challenge_of(headers: httpx.Headers) -> Challenge | None:
    for value in headers.get_list("www-authenticate"):
        scheme = value.split(" ", 1)[0].lower()
        if scheme in ("basic", "digest"):
            m = re.search(r'realm="([^"]*)"', value)
            return Challenge(scheme, m.group(1) if m else None)
    return None


class HttpStatusError(EndpointError):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, status: int, challenge: Challenge | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.challenge = challenge


class Transient(Exception):
    """A failure worth another try (timeout, 5xx, connection refused or lost)."""

    def __init__(self, message: str, status: int | None = None, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.timeout = timeout


def with_retries(attempt: Callable[[], T], policy: RetryPolicy,
                 sleep: Callable[[float], None] = time.sleep, *, retry: bool = True,
                 retry_timeouts: bool = True) -> T:
    """``attempt()`` until it succeeds, raises a final error, or the policy is spent; a Transient
    failure left becomes an EndpointError."""
    start = time.monotonic()
    delays = policy.delays()
    tries = 0
    while True:
        tries += 1
        try:
            return attempt()
        except Transient as exc:
            status = f" (HTTP {exc.status})" if exc.status else ""
            if not retry:
                raise EndpointError(f"{exc}{status}") from None
            if exc.timeout and not retry_timeouts:
                raise EndpointError(f"{exc} (raise --timeout for a long query)") from None
            delay = next(delays, None)
            if delay is None or time.monotonic() - start + delay > policy.budget:
                raise EndpointError(f"{exc}{status}; gave up after {tries} attempt(s) in "
                                    f"{time.monotonic() - start:.0f} s") from None
            sleep(delay)


@dataclass
class Response:
    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def media_type(self) -> str:
        value: str = self.headers.get("content-type", "")
        return value.split(";", 1)[0].strip().lower()


# SPARQLWrapper turns these statuses into exceptions of its own, the body in their message
_SW_STATUS = {"QueryBadFormed": 400, "Unauthorized": 401, "EndPointNotFound": 404,
              "URITooLong": 414, "EndPointInternalError": 500}


def _sw_body(exc: BaseException) -> bytes:
    """The body SPARQLWrapper read, back from its exception's message (``%r`` of the bytes)."""
    m = re.search(r"Response:\s*\n(.*)\Z", str(exc), re.DOTALL)
    if m is None:
        return b""
    text = m.group(1).strip()
    with contextlib.suppress(ValueError, SyntaxError):
        value = ast.literal_eval(text)
        if isinstance(value, bytes):
            return value
    return text.encode("utf-8", "replace")


def _os_error(exc: BaseException) -> OSError | None:
    """The operating system's error under an exception of either stack, if any."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, urllib.error.URLError) and isinstance(seen.reason, OSError):
            return seen.reason
        if isinstance(seen, OSError) and not isinstance(seen, urllib.error.URLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


# --- the client -----------------------------------------------------------------------------------

class _AsAsked(httpx.Auth):
    """HTTP Basic or Digest, whichever the server names in its first 401; nothing sent before."""

    def __init__(self, client: Client, user: str, password: str) -> None:
        self.client = client
        self.basic = httpx.BasicAuth(user, password)
        self.digest = httpx.DigestAuth(user, password)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        known = self.client.challenge
        if known is not None:
            yield from (self.digest if known.scheme == "digest" else self.basic).auth_flow(request)
            return
        response = yield request
        found = challenge_of(response.headers) if response.status_code == 401 else None
        if found is None:
            return
        self.client.challenge = found
        yield from (self.digest if found.scheme == "digest" else self.basic).auth_flow(request)


class Client:
    """Requests to one server: SPARQL through SPARQLWrapper, the rest through httpx; Basic or
    Digest authentication as the server asks; retries by the endpoint's policy; every failure
    of either stack mapped to an EndpointError (or UsageError) by ``failure``."""

    def __init__(self, endpoint: Endpoint, sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoint = endpoint
        self.sleep = sleep
        self.challenge: Challenge | None = None
        self._asked: set[str] = set()  # URLs whose answer without credentials we have seen
        self._auth = _AsAsked(self, endpoint.user, endpoint.password or "") \
            if endpoint.user is not None else None
        self._tls: ssl.SSLContext | None = None

    # --- httpx: the Graph Store Protocol and the first contact

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: dict[str, str] | None = None, params: Sequence[tuple[str, str]] = (),
                timeout: float | None = None, retry: bool = True, what: str = "request"
                ) -> Response:
        """One request; transient failures retried (when ``retry``), others raise."""
        wait = timeout or self.endpoint.timeout

        def attempt() -> Response:
            try:
                # a client per request: no socket outlives a call (a command or a test opens many
                # backends); what is kept between requests is the server's challenge
                with httpx.Client(timeout=wait, verify=self._verify(url)) as http:
                    resp = http.request(method, url, content=body, headers=headers,
                                        params=list(params), auth=self._auth)
            except Exception as exc:
                raise self.failure(exc, what=what, url=url, wait=wait) from None
            self._asked.add(_base(url))  # an answer, whatever its status
            answer = Response(resp.status_code, resp.headers, resp.content)
            if answer.status >= 400:
                raise self.status_failure(answer.status, answer.body, answer.headers,
                                          what=what, url=url)
            return answer

        return with_retries(attempt, self.endpoint.retry, self.sleep, retry=retry)

    def _verify(self, url: str) -> ssl.SSLContext | bool:
        if not url.startswith("https:"):
            return False
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    def ask_credentials(self, url: str) -> Challenge | None:
        """How ``url`` wants credentials, learnt once per server (SPARQLWrapper must be told)."""
        if self.endpoint.user is None:
            return None
        if self.challenge is None and _base(url) not in self._asked:
            with contextlib.suppress(HttpStatusError):  # a GET on an update URL may be refused
                self.request("GET", url, retry=False, what="checking the credentials")
        return self.challenge

    # --- SPARQLWrapper: queries and updates

    def query(self, text: str, graphs: Sequence[str], *, url: str | None = None,
              timeout: float | None = None, what: str = "querying") -> Response:
        """A SELECT through SPARQLWrapper with JSON results, over ``graphs`` as its dataset, sent
        to the query URL (or ``url``); lost connections and 5xx answers retried, a query out of
        time not (it would be again)."""
        from SPARQLWrapper import JSON, POST, SELECT, URLENCODED

        to = url or self.endpoint.query

        def attempt() -> Response:
            w = self._wrapper(to, timeout=timeout)
            with warnings.catch_warnings():  # its guess of the form, printed when unsure
                warnings.simplefilter("ignore")
                w.setQuery(text)
            # SPARQLWrapper guesses the form from the text and can read "load" in a comment
            w.queryType = SELECT
            w.setMethod(POST)
            w.setRequestMethod(URLENCODED)
            w.setReturnFormat(JSON)
            for g in graphs:
                w.addDefaultGraph(g)
                w.addNamedGraph(g)
            return self._send(w, what=what, url=to)

        return with_retries(attempt, self.endpoint.retry, self.sleep, retry_timeouts=False)

    def update(self, text: str, *, retry: bool = True, timeout: float | None = None,
               what: str = "updating") -> None:
        """A SPARQL Update request through SPARQLWrapper, sent as ``application/sparql-update``."""
        from SPARQLWrapper import INSERT, POST, POSTDIRECTLY

        url = self.endpoint.update_url

        def attempt() -> None:
            w = self._wrapper(url, timeout=timeout)
            w.updateEndpoint = url
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w.setQuery(text)
            w.queryType = INSERT  # any update form: the request is the same for all
            w.setMethod(POST)
            w.setRequestMethod(POSTDIRECTLY)
            try:
                self._send(w, what=what, url=url)
            except HttpStatusError as exc:
                if exc.status in (400, 405, 406, 415) and self.endpoint.update is None:
                    raise HttpStatusError(
                        f"{exc}; {safe_url(url)} may answer queries only: give the server's "
                        "update URL with --update-endpoint (Oxigraph server: "
                        "http://host:7878/update; Virtuoso: http://host:8890/sparql-auth)",
                        exc.status) from None
                raise

        with_retries(attempt, self.endpoint.retry, self.sleep, retry=retry)

    def _wrapper(self, url: str, *, timeout: float | None = None) -> Any:
        from SPARQLWrapper import BASIC, DIGEST, SPARQLWrapper

        w = SPARQLWrapper(url)
        w.setTimeout(max(1, math.ceil(timeout or self.endpoint.timeout)))
        asked = self.ask_credentials(url)
        if asked is not None and self.endpoint.user is not None:
            w.setCredentials(self.endpoint.user, self.endpoint.password or "",
                             realm=asked.realm or "SPARQL")
            w.setHTTPAuth(DIGEST if asked.scheme == "digest" else BASIC)
        return w

    def _send(self, w: Any, *, what: str, url: str) -> Response:
        wait = float(w.timeout or self.endpoint.timeout)
        try:
            answer = w.query()
            raw = answer.response
            headers = httpx.Headers(list(raw.info().items()))
            status = int(getattr(raw, "status", 200) or 200)
            body = raw.read()
        except Exception as exc:
            raise self.failure(exc, what=what, url=url, wait=wait) from None
        return Response(status, headers, body)

    # --- one error mapping for both stacks

    def failure(self, exc: BaseException, *, what: str, url: str, wait: float) -> Exception:
        """The jobgraph error (or Transient) for an exception of httpx, SPARQLWrapper or urllib."""
        name = type(exc).__name__
        if name in _SW_STATUS and type(exc).__module__.startswith("SPARQLWrapper"):
            context = exc.__context__
            headers = httpx.Headers(list(context.headers.items())) \
                if isinstance(context, urllib.error.HTTPError) and context.headers else \
                httpx.Headers()
            return self.status_failure(_SW_STATUS[name], _sw_body(exc), headers, what=what,
                                       url=url)
        if isinstance(exc, urllib.error.HTTPError):
            try:
                body = exc.read()
            except (OSError, http.client.HTTPException):
                body = b""
            headers = httpx.Headers(list(exc.headers.items())) if exc.headers else \
                httpx.Headers()
            return self.status_failure(exc.code, body, headers, what=what, url=url)
        where = safe_url(url)
        os_error = _os_error(exc)
        if isinstance(exc, httpx.TimeoutException | TimeoutError | socket.timeout) or \
                isinstance(os_error, TimeoutError):
            if isinstance(exc, httpx.ConnectTimeout):
                return Transient(f"{what}: cannot reach {where} within {wait:g} s", timeout=True)
            return Transient(f"{what}: no answer from {where} within {wait:g} s", timeout=True)
        if isinstance(os_error, socket.gaierror) or "Name or service not known" in str(exc):
            return EndpointError(f"{what}: cannot reach {where}: unknown host")
        if isinstance(os_error, ConnectionRefusedError) or "Connection refused" in str(exc):
            return Transient(f"{what}: cannot reach {where}: connection refused (is the server "
                             "running?)")
        if isinstance(exc, httpx.ConnectError | urllib.error.URLError):
            reason: object = os_error or getattr(exc, "reason", None) or exc
            return EndpointError(f"{what}: cannot reach {where}: {excerpt(str(reason), None)}")
        if isinstance(exc, httpx.TransportError | ConnectionError | http.client.HTTPException
                      | OSError):
            return Transient(f"{what}: connection to {where} lost ({name})")
        if isinstance(exc, UnicodeError):
            return UsageError(f"{what}: the request holds text that is not valid UTF-8")
        return EndpointError(f"{what}: {where} failed ({name})")

    def status_failure(self, status: int, body: bytes, headers: httpx.Headers, *, what: str,
                       url: str) -> Exception:
        """The error for an HTTP error status: credentials, transient server trouble, or final."""
        where = safe_url(url)
        detail = excerpt(body, self.endpoint)
        if status in (401, 403):
            return self.credentials_error(where, status, challenge_of(headers))
        if "log after image size" in detail:  # Virtuoso SR325: no retry will pass the limit
            return EndpointError(f"{what}: {where} could not run the request: {detail}; the "
                                 "request is too large for one Virtuoso transaction: raise "
                                 "TransactionAfterImageLimit in the [Parameters] section of "
                                 "virtuoso.ini (in bytes, below 2^31; jobgraph's tests and "
                                 "benchmarks set 2000000000) and restart the server")
        if status >= 500 and not _VIRTUOSO_ERROR_RE.match(detail):
            return Transient(f"{what}: {where} failed: {detail or http_reason(status)}", status)
        if status >= 500:
            return EndpointError(f"{what}: {where} could not run the request: {detail}")
        if status == 400 and what.startswith("querying"):
            return HttpStatusError(f"{where} rejected the query: {detail}", status)
        if status == 404:
            return HttpStatusError(f"{what}: {where} answered HTTP 404: no SPARQL endpoint "
                                   f"there{': ' + detail if detail else ''}", status)
        return HttpStatusError(f"{what}: {where} answered HTTP {status}: "
                               f"{detail or http_reason(status)}", status)

    def credentials_error(self, where: str, status: int,
                          challenge: Challenge | None = None) -> HttpStatusError:
        if self.endpoint.user is None:
            return HttpStatusError(f"{where} needs credentials (HTTP {status}): give --user and "
                                   "--password-env", status, challenge)
        return HttpStatusError(f"{where} refused the credentials of user "
                               f"'{self.endpoint.user}' (HTTP {status})", status, challenge)


def http_reason(status: int) -> str:
    with contextlib.suppress(ValueError):
        return http.HTTPStatus(status).phrase
    return f"HTTP {status}"


def _base(url: str) -> str:
    return url.split("?", 1)[0]


__all__ = ["DEFAULT_TIMEOUT", "JSON_RESULTS", "Challenge", "Client", "Endpoint",
           "HttpStatusError", "Response", "RetryPolicy", "Transient", "excerpt", "safe_url",
           "scrub", "with_retries"]
