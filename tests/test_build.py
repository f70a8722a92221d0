"""jobgraph build: byte-stable output in every format, a store reused until the data changes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from rdflib import Dataset

from jobgraph.build import build, ensure_store
from jobgraph.workspace import (
    PACKAGE_DIR,
    Workspace,
    converter_modules,
    input_digest,
    module_closure,
)
from util import copy_mini, run


@pytest.mark.parametrize("fmt,suffix", [("trig", ".trig"), ("nquads", ".nq"),
                                         ("turtle", ".ttl"), ("jsonld", ".jsonld")])
def test_output_is_byte_identical_on_a_second_run(tmp_path: Path, fmt: str, suffix: str) -> None:
    data = copy_mini(tmp_path)
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    assert run("build", "--data", str(data), "--store", str(tmp_path / "s1"),
               "-o", str(first))[0] == 0
    assert run("build", "--data", str(data), "--store", str(tmp_path / "s2"), "-o", str(second),
               "--format", fmt)[0] == 0
    assert first.read_bytes() == second.read_bytes()
    parsed = Dataset()
    parsed.parse(first, format={"trig": "trig", "nquads": "nquads", "turtle": "turtle",
                                "jsonld": "json-ld"}[fmt])
    assert len(parsed) > 1000


def test_trig_has_one_named_graph_per_referential_and_ontology(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    out = tmp_path / "g.trig"
    code, stdout, _ = run("build", "--data", str(data), "--store", str(tmp_path / "s"),
                          "-o", str(out))
    assert code == 0
    ds = Dataset()
    ds.parse(out, format="trig")
    names = {str(c.identifier) for c in ds.contexts()}
    base = "https://w3id.org/jobgraph/id/graph/"
    assert {base + "ontology", base + "cnc-2019", base + "mini-ref"} <= names
    assert "mini-ref: 148 triples (2 jobs" in stdout


def test_store_is_reused_until_data_changes(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    store = tmp_path / "store"
    db, result = ensure_store(data, store)
    assert result is not None and db.exists()
    assert Workspace(store).is_fresh(data)
    db2, again = ensure_store(data, store)
    assert again is None and db2 == db
    time.sleep(0.01)
    jobs = data / "mini-ref" / "jobs.yaml"
    jobs.write_text(jobs.read_text(encoding="utf-8").replace("Agent de bureau", "Agent d'accueil"))
    assert not Workspace(store).is_fresh(data)
    code, out, _ = run("query", "level-ladder", "--data", str(data), "--store", str(store),
                       "--param", "referential=https://w3id.org/jobgraph/id/mini-ref",
                       "--format", "csv")
    assert code == 0 and "Agent d'accueil" in out and "Agent de bureau" not in out
    assert Workspace(store).is_fresh(data)


def test_rebuild_replaces_only_changed_graphs(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    store = tmp_path / "store"
    build(data, store_dir=store)
    digests = json.loads((store / "store" / "manifest.json").read_text())["digests"]
    jobs = data / "mini-ref" / "jobs.yaml"
    jobs.write_text(jobs.read_text(encoding="utf-8").replace("Classer le courrier.", "Trier."))
    build(data, store_dir=store)
    after = json.loads((store / "store" / "manifest.json").read_text())["digests"]
    changed = {g for g in after if after[g] != digests.get(g)}
    # and the description of the whole (its version is a digest of the content)
    assert changed == {"https://w3id.org/jobgraph/id/graph/mini-ref",
                       "https://w3id.org/jobgraph/id/graph/dataset"}
    code, out, _ = run("query", "job-profile", "--data", str(data), "--store", str(store),
                       "--param", "job=mini-ref/agent", "--format", "csv")
    assert code == 0 and "Agent de bureau" in out


@pytest.mark.parametrize("first_output", [False, True], ids=["store", "store-and-file"])
def test_a_rebuild_reads_and_converts_only_the_referential_edited(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_output: bool) -> None:
    """A maintainer's rebuild reads and converts the folder that changed alone, the others come
    from the store's cache; a first build that also wrote a graph file leaves that cache too."""
    from jobgraph import build as build_module

    data = copy_mini(tmp_path)
    store = tmp_path / "store"
    build(data, store_dir=store, output=tmp_path / "graph.nq" if first_output else None)
    read: list[str] = []
    converted: list[str] = []
    load_referential, convert_referential = (build_module.load_referential,
                                             build_module.convert_referential)

    def reading(folder: Path, *args: object) -> object:
        read.append(folder.name)
        return load_referential(folder, *args)  # type: ignore[arg-type]

    def converting(ref: object, *args: object) -> object:
        converted.append(ref.id)  # type: ignore[attr-defined]
        return convert_referential(ref, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "load_referential", reading)
    monkeypatch.setattr(build_module, "convert_referential", converting)
    jobs = data / "mini-ref" / "jobs.yaml"
    jobs.write_text(jobs.read_text(encoding="utf-8").replace("Classer le courrier.", "Trier."))
    build(data, store_dir=store)
    assert read == ["mini-ref"] and converted == ["mini-ref"]
    code, out, _ = run("query", "job-profile", "--data", str(data), "--store", str(store),
                       "--param", "job=mini-ref/agent", "--format", "csv")
    assert code == 0 and "Agent de bureau" in out


def test_written_files_get_the_umask_mode_not_the_temp_files_0600(tmp_path: Path) -> None:
    import os

    from jobgraph.workspace import atomic_write

    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "report.txt", "x\n")
    finally:
        os.umask(old)
    assert (tmp_path / "report.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "report.txt").read_text() == "x\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_store_fingerprint_covers_every_module_the_build_imports() -> None:
    """A change to any module the graph is made with rebuilds the store; others do not."""
    # named by their path in the package ("cli/graph"), not their stem: cli and remote are
    # packages, whose modules' stems (__init__, graph, client) say nothing of where they are
    names = {p.relative_to(PACKAGE_DIR).with_suffix("").as_posix() for p in converter_modules()}
    assert {"build", "convert", "load", "model", "rome", "serialize", "namespaces",
            "__init__"} <= names
    # the rooms load.py and rome.py were split into (#14 item 6), and the store's guards
    assert {"files", "yamlio", "fields", "romefiles", "workspace", "guard"} <= names
    assert not names & {"paths", "report", "queries", "validate", "suggest", "results",
                        "drawing"}
    # the two faces, the server client and the search engine: query side, whole packages
    assert not {n.split("/")[0] for n in names} & {"cli", "remote", "web", "search"}


def test_a_new_module_under_the_converter_is_covered(tmp_path: Path) -> None:
    """No hand-kept list: a module the converter starts importing is in the closure."""
    pkg = tmp_path / "jobgraph"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "build.py").write_text("from .convert import convert\n")
    (pkg / "convert.py").write_text("import os\nfrom . import helpers\n")
    (pkg / "helpers.py").write_text("from jobgraph.deep.part import x\n")
    (pkg / "deep").mkdir()
    (pkg / "deep" / "__init__.py").write_text("")
    (pkg / "deep" / "part.py").write_text("x = 1\n")
    (pkg / "unrelated.py").write_text("from .build import convert\n")
    found = {str(p.relative_to(pkg)) for p in module_closure(pkg / "build.py", pkg)}
    assert found == {"__init__.py", "build.py", "convert.py", "helpers.py", "deep/__init__.py",
                     "deep/part.py"}


def test_fingerprint_changes_with_the_data(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    before = input_digest(data)
    assert input_digest(data) == before
    time.sleep(0.01)
    (data / "mini-ref" / "jobs.yaml").write_text(
        (data / "mini-ref" / "jobs.yaml").read_text(encoding="utf-8") + "\n")
    assert input_digest(data) != before
