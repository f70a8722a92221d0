"""The web application in-process (FastAPI's TestClient): pages, JSON twins, the API, errors,
escaping, security headers, caching; the shipped data, and a mini data set for what it lacks."""

from __future__ import annotations

import html
import re
import sys
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from rdflib import URIRef

from jobgraph.backends import Result
from jobgraph.web import Site, create_app, views
from jobgraph.web.app import CSP, Negotiation
from jobgraph.web.site import CachedBackend
from jobgraph.web.svg import sanitize
from util import PROJECT, copy_mini, run

ID = "https://w3id.org/jobgraph/id/"
AA = "missions-locales/assistant-administratif"
AD = "missions-locales/assistant-direction"
PAGES = [
    "/search?q=assistant",
    "/job/cci-2015/juriste",
    f"/job/{AA}/equivalents",
    f"/job/{AA}/next-steps",
    f"/gap?from={AA}&to={AD}",
    f"/path?from={AA}&to={AD}",
    "/rome/M1607",
    "/referentials",
    "/referential/cci-2015",
    "/referential/cci-2015/validation?severity=violation",
]


@pytest.fixture(scope="module")
def client(web_app: Any) -> TestClient:
    return TestClient(web_app, raise_server_exceptions=False)


def _with_json(url: str) -> str:
    path, _, query = url.partition("?")
    return f"{path}.json" + (f"?{query}" if query else "")


def _api(url: str) -> str:
    path, _, query = url.partition("?")
    path = "/api" + path
    return path + (f"?{query}" if query else "")


@pytest.mark.parametrize("url", PAGES)
def test_each_page_is_html_and_has_a_json_twin_equal_to_the_api(client: TestClient,
                                                                url: str) -> None:
    page = client.get(url)
    assert page.status_code == 200, page.text[:500]
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.startswith("<!DOCTYPE html>") and '<html lang="fr">' in page.text
    twin = client.get(_with_json(url))
    assert twin.status_code == 200 and twin.headers["content-type"] == "application/json"
    # the twin's URL is linked from the page itself
    alternate = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"',
                          page.text)
    assert alternate and unquote(html.unescape(alternate.group(1))) == _with_json(url)
    api = client.get(_api(url))
    assert api.status_code == 200 and api.json() == twin.json()
    negotiated = client.get(url, headers={"accept": "application/json"})
    assert negotiated.json() == twin.json()


def test_the_search_box_is_the_home_page(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'name="q"' in page.text and 'role="search"' in page.text
    found = client.get("/.json?q=juriste").json()
    assert found["jobs"][0]["iri"] == f"{ID}cci-2015/job/juriste"
    assert found["jobs"][0]["match"] == "name"
    # the ROME fiche whose title is the word, and fiches by code
    assert any(f["code"] == "K1903" for f in found["fiches"])
    assert [f["code"] for f in client.get("/api/search?q=M1607").json()["fiches"]] == ["M1607"]


def test_search_lists_candidates_and_fiches_by_job_title(client: TestClient) -> None:
    found = client.get("/api/search?q=assistant").json()
    ids = {j["id"] for j in found["jobs"]}
    # (was: names.resolve_job's candidates) jobgraph search's engine: jobs by their labels
    assert {AA, AD} <= ids and all(j["match"] or j["via"] for j in found["jobs"])
    # "boulanger" names no curated job; ROME's job titles (appellations) find its fiche
    bakers = client.get("/api/search?q=boulanger").json()
    assert bakers["jobs"] == [] and "D1102" in {f["code"] for f in bakers["fiches"]}
    assert client.get("/api/search?q=").json() == {"query": "", "jobs": [], "fiches": [],
                                                   "engine": "jobgraph search", "readAs": [],
                                                   "reason": None}
    # a typo is read as the word it stands for, and said so
    typo = client.get("/api/search?q=h%C3%B4tesse%20d%27acceuil").json()
    assert typo["fiches"][0]["code"] == "M1601"
    assert {"typed": "acceuil", "readAs": "accueil"} in typo["readAs"]


def test_job_page_shows_level_band_scores_rome_links_and_sources(client: TestClient) -> None:
    job = client.get("/job/cci-2015/juriste.json").json()
    assert job["iri"] == f"{ID}cci-2015/job/juriste" and job["label"] == "Juriste"
    # the document prints "6 6 7 6 6" and "Classification de niveau VI" (source.txt 2394-2397)
    assert [s["score"] for s in job["scores"]["criteria"]] == ["6", "6", "7", "6", "6"]
    assert job["scores"]["total"] == "31" and job["scores"]["inBand"] is True
    assert (job["scores"]["min"], job["scores"]["max"]) == ("28", "32")
    assert job["level"]["notation"] == "VI"
    # grade VI is estimated 6–7: one of its jobs asks a grandes écoles education (NOTES.md)
    assert job["national"]["rank"] == "6–7" and job["national"]["basis"] == "estimate"
    assert job["national"]["note"]
    link, = job["rome"]
    assert (link["code"], link["relation"], link["basis"]) == ("K1903", "exactMatch", "curation")
    assert link["rationale"] and link["page"] == "/rome/K1903"
    record, line = job["source"]["record"].rsplit(":", 1)
    assert record == "data/cci-2015/jobs.yaml"
    assert "juriste" in (PROJECT / record).read_text().splitlines()[int(line) - 1]
    doc_line = int(job["source"]["documentLine"])
    source = (PROJECT / job["source"]["documentFile"]).read_text().splitlines()
    assert "JURISTE" in "".join(source[doc_line - 3:doc_line + 2]).upper()
    assert job["texts"]["mission"] and job["referential"][0]["page"] == "/referential/cci-2015"
    page = client.get("/job/cci-2015/juriste").text
    assert "Niveau VI" in page and "dans la plage du niveau" in page and "K1903" in page
    assert "data/cci-2015/rome.csv:" in page and "data/cci-2015/jobs.yaml:" in page


def test_certification_and_competences_of_the_reac_job(client: TestClient) -> None:
    job = client.get("/api/job/tp-cagea/charge-accueil-gestion-administrative").json()
    assert job["national"]["rank"] == "4" and job["national"]["basis"] == "official"
    cert, = job["certifications"]
    assert cert["level"] == "4" and cert["source"].startswith("data/tp-cagea/certifications.yaml")
    assert len(job["competences"]) == 8  # 6 professional + 2 transversal (data/README.md)
    assert {r["code"] for r in job["rome"]} == {"M1601", "M1602", "M1607"}


def test_answers_have_headers_in_the_page_language_and_cite_iris(client: TestClient) -> None:
    fr = client.get(f"/api/job/{AA}/equivalents").json()["answer"]
    en = client.get(f"/api/job/{AA}/equivalents?lang=en").json()["answer"]
    assert fr["question"] == "equivalent-jobs"
    headers = {c["name"]: c["header"] for c in fr["columns"]}
    assert headers["otherLabel"] == "Emploi" and headers["score"] == "Score"
    assert {c["name"]: c["header"] for c in en["columns"]}["otherLabel"] == "Job"
    assert [c["name"] for c in fr["columns"]][:2] == ["otherLabel", "other"]
    first = fr["rows"][0]
    assert first["other"]["iri"].startswith(ID) and first["otherLabel"]["page"].startswith("/job/")
    # referentials and sectors by name, with their IRI kept
    assert first["referential"]["iri"].startswith(ID) and "/" not in first["referential"]["text"]
    page = client.get(f"/job/{AA}/equivalents?lang=en").text
    assert "<th scope=\"col\" data-column=\"otherLabel\">Job</th>" in page
    assert "otherLabel</th>" not in page and "sharedFiches</th>" not in page


def test_english_pages_keep_the_language_in_their_links(client: TestClient) -> None:
    page = client.get("/job/cci-2015/juriste?lang=en").text
    assert '<html lang="en">' in page and "Criterion scores" in page
    links = re.findall(r'href="(/(?:job|referential|rome)[^"]*)"(?! hreflang)', page)
    assert len(links) > 5 and all("lang=en" in x for x in links), links
    assert 'href="/job/cci-2015/juriste" hreflang="fr"' in page  # the switch back to French


def test_path_page_draws_the_paths_as_inline_svg_without_script(client: TestClient) -> None:
    data = client.get(f"/api/path?from={AA}&to={AD}").json()
    steps = data["paths"][0]["steps"]
    # missions-locales: assistant-administratif progresses to assistant-direction (jobs.yaml)
    assert [(s["from"]["id"], s["to"]["id"], s["kind"]) for s in steps] == \
        [(AA, AD, "progression")]
    page = client.get(f"/path?from={AA}&to={AD}").text
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert 'role="img"' in svg and "Assistant administratif" in svg
    assert "<script" not in svg and "<a " not in svg and "xlink" not in svg
    drawing = client.get(data["drawing"])
    assert drawing.status_code == 200 and drawing.headers["content-type"] == "image/svg+xml"
    none = client.get("/api/path?from=cci-2015/juriste&to=cci-2015/juriste").json()
    assert none["paths"] == [{"steps": [], "length": 0, "cost": 0}]


def test_gap_and_rome_pages(client: TestClient) -> None:
    gap = client.get(f"/api/gap?from={AA}&to={AD}").json()
    assert gap["answer"]["question"] == "competence-gap" and gap["answer"]["rows"]
    rome = client.get("/api/rome/M1607").json()
    assert rome["fiche"]["code"] == "M1607" and [t["code"] for t in rome["tree"]] == ["M", "M16"]
    assert rome["sections"]["appellation"] and rome["sections"]["savoir-faire"]
    jobs = {r["job"]["text"] for r in rome["jobs"]["rows"]}
    assert AA in jobs and "tp-cagea/charge-accueil-gestion-administrative" in jobs
    domaine = client.get("/api/rome/M16").json()
    assert domaine["fiche"] is None and len(domaine["jobs"]["rows"]) > len(rome["jobs"]["rows"])


def test_referential_page_and_validation_filters(client: TestClient) -> None:
    ref = client.get("/api/referential/cci-2015").json()
    assert [lv["notation"] for lv in ref["levels"]] == ["I", "II", "III", "IV", "V", "VI", "VII",
                                                        "VIII"]
    # 57 jobs on grades I-VIII: 3, 2, 5, 13, 13, 12, 6, 3 (docs/queries.md, level-ladder)
    assert [lv["jobs"] for lv in ref["levels"]] == ["3", "2", "5", "13", "13", "12", "6", "3"]
    counts = {c["name"]: c["value"] for c in ref["counts"]}
    # 64 rome.csv rows since the ROME audit gave the formalities jobs K1902 too (NOTES.md)
    assert counts["jobs"] == "59" and counts["romeLinks"] == "64"
    assert len(ref["ladder"]["rows"]) == 59
    everything = client.get("/api/referential/cci-2015/validation").json()
    accepted = client.get("/api/referential/cci-2015/validation?accepted=yes").json()
    open_ = client.get("/api/referential/cci-2015/validation?accepted=no").json()
    assert accepted["shown"] + open_["shown"] == everything["total"] == everything["shown"] > 0
    assert all(f["accepted"] for f in accepted["findings"])
    assert not any(f["accepted"] for f in open_["findings"])
    rule = everything["findings"][0]["rule"]
    by_rule = client.get(f"/api/referential/cci-2015/validation?rule={rule}").json()
    assert by_rule["shown"] and {f["rule"] for f in by_rule["findings"]} == {rule}
    violations = client.get("/api/referential/cci-2015/validation?severity=violation").json()
    assert {f["severity"] for f in violations["findings"]} <= {"violation"}
    page = client.get("/referential/cci-2015/validation?accepted=yes").text
    assert '<option value="yes" selected>' in page
    assert f'{accepted["shown"]} / {everything["total"]}' in page


def test_unknown_names_are_404_with_did_you_mean(client: TestClient) -> None:
    r = client.get("/api/job/cci-2015/no-such-job")
    assert r.status_code == 404 and r.json()["detail"]["candidates"] == []
    assert "unknown" in r.json()["detail"]["message"]
    r = client.get(f"/api/gap?from=assistant&to={AD}")
    detail = r.json()["detail"]
    assert r.status_code == 404 and detail["ambiguous"] is True
    assert AA in {c["id"] for c in detail["candidates"]}
    page = client.get(f"/gap?from=assistant&to={AD}")
    assert page.status_code == 404 and "Vouliez-vous dire" in page.text
    assert f'href="/job/{AA}"' in page.text
    assert client.get("/api/referential/no-such-referential").status_code == 404
    assert client.get("/api/rome/Z9999").status_code == 404
    assert client.get("/no/such/page").status_code == 404


@pytest.mark.parametrize("url", [
    "/api/job/cci-2015/juriste?lang=de", "/api/rome/m1607", "/api/rome/M16071",
    "/api/path?from=&to=cci-2015/juriste", "/api/gap?to=cci-2015/juriste",
    "/api/referential/cci-2015/validation?severity=fatal",
    "/api/referential/cci-2015/validation?accepted=maybe", "/api/job/CCI 2015/juriste",
    f"/api/search?q={'x' * 201}"])
def test_malformed_parameters_are_400_with_a_message(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 400, r.text
    assert isinstance(r.json()["detail"], str) and "parameter" in r.json()["detail"]
    page = client.get(url.removeprefix("/api"))
    assert page.status_code == 400 and "Requête incorrecte" in page.text


def test_security_headers_read_only_and_no_listing(client: TestClient) -> None:
    for url in ("/", "/api/job/cci-2015/juriste", "/job/cci-2015/nope", "/static/style.css",
                "/openapi.json"):
        r = client.get(url)
        assert r.headers["content-security-policy"] == CSP, url
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/job/cci-2015/juriste").status_code == 405
    assert client.get("/static/").status_code == 404
    assert client.get("/static/../pyproject.toml").status_code == 404
    # no inline script or style in any page: the CSP would block them
    for url in PAGES:
        page = client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert "<style" not in page and " style=" not in page and " on" + "click=" not in page


def test_a_crash_is_a_500_without_a_traceback(web_site: Site,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(web_site)
    app.add_middleware(Negotiation)
    c = TestClient(app, raise_server_exceptions=False)

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("secret detail of the server")

    monkeypatch.setattr(views, "job", broken)
    for url in ("/job/cci-2015/juriste", "/api/job/cci-2015/juriste"):
        r = c.get(url)
        assert r.status_code == 500
        assert "Traceback" not in r.text and "secret detail" not in r.text
    assert r.json() == {"detail": "internal error (the server's log says more)"}


def test_a_label_holding_a_script_is_shown_as_text(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    jobs = data / "mini-ref" / "jobs.yaml"
    jobs.write_text(jobs.read_text(encoding="utf-8").replace(
        "Agent de bureau", "Agent <script>alert(1)</script> & \\\"co\\\""), encoding="utf-8")
    store = tmp_path / "store"
    assert run("build", "--data", str(data), "--store", str(store))[0] == 0
    app = create_app(Site.embedded(data, store))
    app.add_middleware(Negotiation)
    c = TestClient(app, raise_server_exceptions=False)
    for url in ("/job/mini-ref/agent", "/search?q=agent", "/referential/mini-ref",
                "/job/mini-ref/agent/next-steps"):
        page = c.get(url).text
        assert "<script>alert" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in page, url
    assert c.get("/api/job/mini-ref/agent").json()["label"].startswith("Agent <script>")


def test_a_kept_dot_process_draws_as_a_new_one_and_starts_again_when_it_fails() -> None:
    """``drawing.Dot``: one Graphviz process draws graph after graph (a label holding the closing
    tag does not end a drawing early), the same SVG as a process of its own; a killed process is
    replaced; a graph dot cannot read gets render_svg's error."""
    from jobgraph.drawing import Dot, render_svg
    from jobgraph.errors import ExternalError

    text = 'digraph { a [label="x </svg> y"]; a -> b; b -> c }'
    expected = render_svg(text)
    drawer = Dot(timeout=5.0)
    try:
        assert drawer.svg(text) == expected
        first = drawer._process
        assert first is not None and drawer.svg(text.replace("c }", "d }")).count("<svg") == 1
        assert drawer._process is first  # the same process drew both
        first.kill()
        first.wait()
        assert drawer.svg(text) == expected
        assert drawer._process is not None and drawer._process is not first
        with pytest.raises(ExternalError, match="dot failed"):
            drawer.svg("digraph { a -> ")
        assert drawer.svg(text) == expected  # and it draws again after
        for n in range(40):  # graph after graph, each a whole SVG document of its own
            drawn = drawer.svg(f'digraph g{n} {{ a -> b{n}; b{n} -> c [label="{"x" * n}"] }}')
            assert drawn.startswith("<?xml") and f"<title>g{n}</title>" in drawn
            assert f"b{n}" in sanitize(drawn) and drawn.count("</svg>") == 1
    finally:
        drawer.close()
    assert drawer._process is None


def test_a_kept_dot_process_drops_a_newline_written_apart_from_its_drawing(
        tmp_path: Path) -> None:
    """A drawing's last newline that comes apart from it (read at the start of the next
    drawing) is no part of that next drawing: each one is a whole SVG document."""
    from jobgraph.drawing import Dot

    fake = tmp_path / "dot"  # draws each line it reads, and writes the newline late, alone
    fake.write_text(f"#!{sys.executable}\n" + textwrap.dedent("""\
        import sys, time
        for n, line in enumerate(sys.stdin):
            sys.stdout.write('<?xml version="1.0"?>\\n<svg xmlns="http://www.w3.org/2000/svg">'
                             f'<title>g{n}</title></svg>')
            sys.stdout.flush()
            time.sleep(0.05)
            sys.stdout.write("\\n")
            sys.stdout.flush()
        """))
    fake.chmod(0o755)
    drawer = Dot(str(fake), timeout=5.0)
    try:
        for n in range(3):
            drawn = drawer.svg(f"digraph g{n} {{ a -> b }}")
            assert drawn.startswith("<?xml") and f"<title>g{n}</title>" in sanitize(drawn)
    finally:
        drawer.close()


def test_svg_sanitizer_keeps_the_drawing_and_drops_the_rest() -> None:
    svg = ('<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
           '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd"><!-- a comment -->'
           '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           'width="10pt" onload="alert(1)"><script>alert(2)</script>'
           '<g id="n1" class="node"><a xlink:href="javascript:alert(3)" xlink:title="t">'
           '<text x="1" style="x" fill="red">&lt;b&gt;Label</text></a></g>'
           '<foreignObject><div>x</div></foreignObject></svg>')
    out = sanitize(svg, label="A → B")
    assert out.startswith('<svg') and 'aria-label="A → B"' in out and 'role="img"' in out
    assert '<text x="1" fill="red">&lt;b&gt;Label</text>' in out
    for bad in ("onload", "script", "javascript", "foreignObject", "style=", "comment", "xlink"):
        assert bad not in out, bad
    with pytest.raises(ValueError):
        sanitize("<html></html>")


class _Counting:
    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def select(self, query: str, bindings: Any = None) -> Result:
        self.calls += 1
        return Result(["x"], [(URIRef(f"{ID}{self.calls}"),)])


def test_answers_are_cached_per_version_of_the_store() -> None:
    inner = _Counting()
    version = ["a"]
    cached = CachedBackend(inner, lambda: version[0], size=2)
    first = cached.select("Q", {"job": URIRef(f"{ID}j")})
    again = cached.select("Q", {"job": URIRef(f"{ID}j")})
    assert inner.calls == 1 and first.rows == again.rows and first.rows is not again.rows
    cached.select("Q", {"job": URIRef(f"{ID}k")})
    assert inner.calls == 2
    version[0] = "b"  # a rebuilt store: nothing is answered from the old one
    assert cached.select("Q", {"job": URIRef(f"{ID}j")}).rows != first.rows
    assert inner.calls == 3
    cached.select("R")
    cached.select("S")  # the oldest answers leave when the cache is full
    cached.select("Q", {"job": URIRef(f"{ID}j")})
    assert inner.calls == 6


def test_serve_refuses_a_bad_port() -> None:
    code, _, err = run("serve", "--port", "70000")
    assert code == 2 and "--port must be between 1 and 65535" in err


def test_serve_with_workers_answers_from_each_process(shipped_store: Path) -> None:
    """``serve --workers 2``: the store is opened by the command, then by two worker processes
    (read-only) that answer; a bad count is a usage error."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    code, _, err = run("serve", "--workers", "0")
    assert code == 2 and "--workers must be between 1 and 64" in err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "jobgraph.cli", "serve", "--port", str(port), "--workers", "2",
         "--data", str(PROJECT / "data"), "--store", str(shipped_store), "--log-level",
         "warning"], text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        answered = 0
        while answered < 10 and time.monotonic() < deadline:
            assert server.poll() is None, server.communicate()
            try:  # a new connection each time: the kernel hands them to either worker
                r = httpx.get(f"http://127.0.0.1:{port}/api/job/cci-2015/juriste", timeout=30)
            except httpx.HTTPError:
                time.sleep(0.3)
                continue
            assert r.status_code == 200 and r.json()["label"]
            answered += 1
        assert answered == 10
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        workers = [c for c in children
                   if "spawn" in Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")]
        assert len(workers) == 2, children
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=30)
    assert "with 2 worker processes" in out


def test_the_validation_form_sends_empty_filters_for_all(client: TestClient) -> None:
    everything = client.get("/api/referential/cci-2015/validation").json()
    form = client.get("/api/referential/cci-2015/validation?severity=&rule=&accepted=").json()
    assert form == everything


def test_kept_values_are_bounded_and_per_version() -> None:
    version = ["a"]
    site = Site(_Counting(), lambda: version[0], lambda: None, "here")  # type: ignore[arg-type]
    made: list[str] = []
    for key in ("x", "y", "x", "z", "x"):
        site.kept("svg", key, lambda k=key: made.append(k) or k, size=2)
    assert made == ["x", "y", "z"]  # x kept while among the two latest; y left for z
    version[0] = "b"
    site.kept("svg", "x", lambda: made.append("x2") or "x2", size=2)
    assert made[-1] == "x2"


def test_an_answer_table_escapes_every_text_and_attribute() -> None:
    from jobgraph.web.tables import table_html

    evil = '"><script>alert(1)</script>'
    answer = {"question": "q", "fallbacks": 0, "columns": [
        {"name": "job", "header": "Emploi <b>", "names": "jobLabel", "namedBy": None,
         "detail": False},
        {"name": "jobLabel", "header": "x", "names": None, "namedBy": "job", "detail": False},
        {"name": "why", "header": "Pourquoi", "names": None, "namedBy": None, "detail": True}],
        "rows": [{"job": {"text": evil, "page": "/job/a/b?x=1&y=2", "lang": "en"},
                  "jobLabel": {"text": evil}, "why": {"text": "a & b", "fallback": True}}]}
    words = {"no_rows": "rien", "no_english": "pas d'anglais", "row": "ligne", "rows": "lignes",
             "fallback_note": "note", "details": "Détails"}
    page = str(table_html(answer, "Légende <i>", lang="fr", words=words,
                          url=lambda p, **_: p + "&lang=en"))
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page
    assert 'title="&#34;&gt;&lt;script&gt;' in page  # the named label, as an attribute
    assert 'href="/job/a/b?x=1&amp;y=2&amp;lang=en"' in page and ' lang="en"' in page
    assert "a &amp; b" in page and page.count('class="fallback"') == 1  # under "details" only
    assert page.count("<table") == 2 and "<summary>Détails</summary>" in page
    assert str(table_html({**answer, "rows": []}, lang="fr", words=words,
                          url=str)) == '<p class="empty">rien</p>\n'
