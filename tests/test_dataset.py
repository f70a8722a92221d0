"""The graph describes itself: the dataset graph made at build time (VoID, DCAT), printed by
`jobgraph build`, asked with the stored query `dataset`."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rdflib import Dataset, Literal, URIRef

from jobgraph.backends import OxigraphBackend
from jobgraph.build import assemble
from jobgraph.dataset import rome_sources
from jobgraph.queries import run as run_query
from jobgraph.terms import cell
from query_cases import FIXTURE
from util import PROJECT, copy_mini, run

ID = "https://w3id.org/jobgraph/id/"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"


def _rows(backend: Any, lang: str = "fr") -> list[dict[str, str]]:
    answer = run_query(backend, "dataset", {}, lang=lang)
    return [{v: cell(t, unbound="") for v, t in zip(answer.variables, row, strict=True)}
            for row in answer.rows]


def test_dataset_query_on_the_fixture() -> None:
    from test_queries import nquads

    rows = _rows(OxigraphBackend.from_nquads(nquads(FIXTURE)))
    got = [(r["graph"], r["title"], r["triples"], r["source"], r["version"], r["issued"])
           for r in rows]
    assert got == [
        ("graph/alpha", "Grille alpha", "120", "alpha/document/source", "", "2020-01-31"),
        ("graph/ontology", "Ontologie jobgraph", "100", "", "", ""),
        ("graph/rome", "ROME 4.0 (essai)", "80", "rome/document/esco-rome-crosswalk", "V1.4",
         "2022-06-07"),
        ("graph/rome", "ROME 4.0 (essai)", "80", "rome/document/v460", "v460 (version 60)",
         "2025-09-18"),
    ]
    assert {r["datasetVersion"] for r in rows} == {"sha256:0123456789abcdef"}
    assert {r["builtBy"] for r in rows} == {"0.1.0"}
    assert rows[-1]["licence"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    en = _rows(OxigraphBackend.from_nquads(nquads(FIXTURE)), "en")
    assert [r["title"] for r in en] == ["Grille alpha", "jobgraph ontology", "ROME 4.0 (test)",
                                        "ROME 4.0 (test)"]  # alpha has no English title


def _graph(out: Path) -> Dataset:
    ds = Dataset()
    ds.parse(out, format="trig")
    return ds


def test_build_writes_and_prints_the_description(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    out = tmp_path / "g.trig"
    code, stdout, err = run("build", "--data", str(data), "--store", str(tmp_path / "s"),
                            "-o", str(out))
    assert code == 0, err
    ds = _graph(out)
    described = ds.graph(URIRef(f"{ID}graph/dataset"))
    me = URIRef(f"{ID}dataset")
    # each other named graph is a subset with its true size
    for g in ds.graphs():
        if str(g.identifier) in (f"{ID}graph/dataset", "urn:x-rdflib:default"):
            continue
        assert described.value(g.identifier, URIRef(VOID + "triples")) == Literal(len(g)), \
            g.identifier
        assert (me, URIRef(VOID + "subset"), g.identifier) in described
    # the date comes from the data (the latest source: mini-ref's 2020-01-31), not from the clock
    assert described.value(me, URIRef(DCTERMS + "issued")) == Literal(dt.date(2020, 1, 31))
    version = str(described.value(me, URIRef(DCAT + "version")))
    assert re.fullmatch(r"sha256:[0-9a-f]{16}", version)
    printed = re.search(r"^dataset: (\d+) triples \((sha256:\w+), issued 2020-01-31, "
                        r"jobgraph \S+\)$", stdout, re.M)
    assert printed and printed.group(2) == version and int(printed.group(1)) == len(described)
    assert re.search(r"^dataset sha256:\w+, issued 2020-01-31, built by jobgraph ", stdout, re.M)
    assert "  Document d'essai (2020-01-31, Essai)" in stdout


def test_the_version_follows_the_content_and_nothing_else(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    first = assemble(data, tmp_path / "cache").about
    again = assemble(data, tmp_path / "cache2").about
    assert first is not None and again is not None and first.version == again.version
    jobs = data / "mini-ref" / "jobs.yaml"
    jobs.write_text(jobs.read_text(encoding="utf-8").replace("Agent de bureau", "Agent d'accueil"),
                    encoding="utf-8")
    changed = assemble(data, tmp_path / "cache").about
    assert changed is not None and changed.version != first.version


def test_a_referential_may_not_be_called_dataset(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    (data / "mini-ref").rename(data / "dataset")
    ref = data / "dataset" / "referential.yaml"
    ref.write_text(ref.read_text(encoding="utf-8").replace("id: mini-ref", "id: dataset"),
                   encoding="utf-8")
    code, _, err = run("build", "--data", str(data), "--store", str(tmp_path / "s"))
    assert code == 2 and "data/dataset/referential.yaml:1" in err and "reserved" in err, err


def test_rome_sources_read_the_files_versions() -> None:
    sources = {s.iri.rsplit("/", 1)[-1]: s for s in rome_sources(PROJECT / "data" / "rome")}
    v460 = sources["v460"]
    assert v460.version == "v460 (version 60)" and v460.issued == dt.date(2025, 9, 18)
    assert v460.title == "RefRomeCsv ROME 4.0 version 60 (18/09/2025)"  # as the ROME graph says
    crosswalk = sources["esco-rome-crosswalk"]
    assert crosswalk.version == "V1.4" and crosswalk.issued == dt.date(2022, 6, 7)
    assert "ESCO 1.0.9" in crosswalk.title and "ROME V3.0" in crosswalk.title
    esco = sources["occupation_main"]
    assert esco.version == "1.0.9" and str(esco.licence).endswith("/dec/2011/833/oj")
    assert sources["v347"].version == "v347"


@pytest.mark.slow
def test_which_rome_version_on_the_shipped_data(shipped_store: Path) -> None:
    # the session's build of the shipped data: its manifest lists each graph's triples
    graphs = json.loads((shipped_store / "store" / "manifest.json").read_text("utf-8"))["graphs"]
    assert "issued 2025-09-18" in graphs["dataset"]["detail"]
    rows = _rows(OxigraphBackend.open(shipped_store / "store" / "db"))
    rome = {r["source"]: r for r in rows if r["graph"] == "graph/rome"}
    assert rome["rome/document/v460"]["version"] == "v460 (version 60)"
    assert rome["rome/document/v460"]["issued"] == "2025-09-18"
    assert rome["rome/document/esco-rome-crosswalk"]["version"] == "V1.4"
    assert {r["graph"] for r in rows} == {f"graph/{n}" for n in (
        "ontology", "cci-2015", "cnc-2019", "informatique", "missions-locales",
        "photographie-2024", "tp-cagea", "rome")}
    assert sum(int(r["triples"]) for r in {r["graph"]: r for r in rows}.values()) == \
        sum(g["triples"] for name, g in graphs.items() if name != "dataset")
