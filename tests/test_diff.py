"""jobgraph diff: every kind of change between two data folders (tests/fixtures/diff/old and new:
jobs added, removed, relabelled, re-levelled, re-scored, moved family, ROME links added, removed,
changed; ROME fiches, appellations, mobility; the ESCO crosswalk), the same between two git
revisions and two built graphs, the impact on the curated data, the formats, and the sides that
cannot be compared."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from jobgraph.diff import DiffResult, diff
from jobgraph.diff.render import render
from util import PROJECT, run

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "diff"
OLD, NEW = FIXTURES / "old" / "data", FIXTURES / "new" / "data"

# every change the fixtures hold: (scope, kind, id)
EXPECTED = {
    ("essai", "job-added", "stagiaire"),
    ("essai", "job-removed", "archiviste"),
    ("essai", "job-relabelled", "agent"),
    ("essai", "job-relevelled", "assistant"),
    ("essai", "job-rescored", "agent"),
    ("essai", "job-moved-family", "chef"),
    ("essai", "rome-link-added", "stagiaire → M1602"),
    ("essai", "rome-link-removed", "archiviste → M1601"),
    ("essai", "rome-link-changed", "assistant → M1607"),
    ("essai", "resource-added", "essai/family/direction"),
    ("essai", "resource-changed", "essai"),  # the text's date
    ("rome", "fiche-added", "M1610"),
    ("rome", "fiche-removed", "M1604"),
    ("rome", "fiche-retitled", "M1607"),
    ("rome", "appellation-removed", "103"),
    ("rome", "appellation-relabelled", "101"),
    ("rome", "appellation-moved", "102"),
    ("rome", "mobility-added", "M1602 → M1610"),
    ("rome", "mobility-removed", "M1607 → M1604"),
    ("esco", "esco-link-orphaned", "test-assistant skos:narrowMatch 103"),
}
# what they do to the curated data, stored questions aside: (level, what, subject)
IMPACTS = {
    ("breaks", "rome-link", "essai/chef → M1604"),
    ("changes", "rome-link", "essai/assistant → M1607"),  # retitled, appellation, mobility, ESCO
    ("changes", "rome-link", "essai/agent → M1602"),  # mobility of M1602
    ("changes", "rome-link", "essai/stagiaire → M1602"),
    ("changes", "rome-link", "autre/commis → M1602"),
    ("changes", "progression", "essai/agent → assistant"),  # both at level I now
    ("changes", "equivalence", "autre/accueil ≡ essai/archiviste"),
    ("changes", "equivalence", "autre/commis ≡ essai/stagiaire"),
}


def kinds(result: DiffResult) -> set[tuple[str, str, str]]:
    return {(c.scope, c.kind, c.id) for c in result.changes}


def impacts(result: DiffResult) -> set[tuple[str, str, str]]:
    return {(i.level, i.what, i.subject) for i in result.impacts if i.what != "query"}


@pytest.fixture(scope="module")
def folders() -> DiffResult:
    return diff(OLD, NEW)


def test_every_kind_of_change_between_two_data_folders(folders: DiffResult) -> None:
    assert kinds(folders) == EXPECTED
    by = {(c.kind, c.id): c for c in folders.changes}
    assert (by["job-relabelled", "agent"].old, by["job-relabelled", "agent"].new) == \
        ("Agent de bureau", "Agent administratif")
    assert (by["job-relevelled", "assistant"].old, by["job-relevelled", "assistant"].new) == \
        ("II", "I")
    assert (by["job-rescored", "agent"].old, by["job-rescored", "agent"].new) == \
        ("savoir 1", "savoir 2")
    assert (by["job-moved-family", "chef"].old, by["job-moved-family", "chef"].new) == \
        ("bureau", "direction")
    assert by["rome-link-changed", "assistant → M1607"].new == "exactMatch (curation)"
    assert (by["appellation-moved", "102"].old, by["appellation-moved", "102"].new) == \
        ("M1607", "M1610")
    assert by["fiche-retitled", "M1607"].new == "Secrétaire"
    # each change points at the curated line to look at (new side; old side when removed)
    assert by["job-added", "stagiaire"].source == "data/essai/jobs.yaml:24"
    assert by["job-removed", "archiviste"].source == "data/essai/jobs.yaml:17"
    assert by["rome-link-added", "stagiaire → M1602"].source == "data/essai/rome.csv:5"


def test_the_impact_names_the_curated_line_to_edit(folders: DiffResult) -> None:
    assert impacts(folders) == IMPACTS
    broken = [i for i in folders.impacts if i.level == "breaks"]
    assert [(i.subject, i.source) for i in broken] == [("essai/chef → M1604",
                                                       "data/essai/rome.csv:4")]
    progression = next(i for i in folders.impacts if i.what == "progression")
    assert progression.source == "data/essai/jobs.yaml:8" and "level I" in progression.message
    # stored questions re-asked on both sides: the answers that differ
    asked = {(i.subject, i.message.split(":")[0]) for i in folders.impacts if i.what == "query"}
    assert {("essai/agent", "job-profile"), ("essai/assistant", "job-profile"),
            ("essai", "level-ladder")} <= asked
    assert not any(s.startswith("autre/accueil") for s, _ in asked)  # nothing changed for it


def test_the_change_set_turns_old_into_new(folders: DiffResult) -> None:
    """The TriG change set, applied to OLD's graphs (deletions out, insertions in), gives NEW's."""
    import pyoxigraph as ox

    from jobgraph.diff.sides import read_side

    store = ox.Store()
    store.load(input=render(folders, "trig").encode(), format=ox.RdfFormat.TRIG)
    parts = {}
    for q in store.quads_for_pattern(None, None, None, None):
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else ""
        if "/insertions/" in name or "/deletions/" in name:
            parts.setdefault(name, set()).add(
                (str(q.subject), str(q.predicate), str(q.object)))
    old, new = read_side(OLD, "old"), read_side(NEW, "new")
    for graph in ("essai", "rome"):
        g = f"https://w3id.org/jobgraph/id/graph/{graph}"
        inserted = next(t for name, t in parts.items() if name.endswith(f"/insertions/{graph}"))
        deleted = next(t for name, t in parts.items() if name.endswith(f"/deletions/{graph}"))
        assert (set(old.graphs[g].triples()) - deleted) | inserted == set(new.graphs[g].triples())
    described = {str(q.object) for q in store.quads_for_pattern(
        None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), None, None)}
    assert "<http://purl.org/skos-history/SchemeDelta>" in described
    assert "<http://www.w3.org/ns/prov#Activity>" in described
    assert render(folders, "trig") == render(diff(OLD, NEW), "trig")  # same sides, same bytes


def test_text_markdown_json_and_the_code_map(folders: DiffResult, tmp_path: Path) -> None:
    text = render(folders, "text")
    assert "== essai" in text and "  jobs re-levelled (1)" in text
    assert "[BREAKS] data/essai/rome.csv:4  essai/chef → M1604" in text
    assert "Summary: essai: " in text and "impact: 1 break(s)" in text
    md = render(folders, "markdown")
    assert "## essai" in md and "| rome | fiches retitled | 1 |" in md
    doc = json.loads(render(folders, "json"))
    assert {(c["scope"], c["kind"], c["id"]) for c in doc["changes"]} == EXPECTED
    assert doc["old"]["referentials"] == ["autre", "cnc-2019", "essai"]
    assert doc["triples"]["https://w3id.org/jobgraph/id/graph/essai"]["added"] > 0
    out, mapping = tmp_path / "diff.md", tmp_path / "map.csv"
    code, _, err = run("diff", str(OLD), str(NEW), "--format", "markdown", "-o", str(out),
                       "--map", str(mapping), "--no-queries", "--store", str(tmp_path / "s"))
    assert code == 0, err
    assert out.read_text(encoding="utf-8").startswith("# jobgraph diff")
    rows = list(csv.DictReader(io.StringIO(mapping.read_text(encoding="utf-8"))))
    assert {(r["kind"], r["old"], r["new"]) for r in rows} == {
        ("fiche", "M1607", "M1610"), ("appellation", "M1607/102", "M1610/102"),
        ("job-family", "essai/chef", "essai/chef")}
    assert not (tmp_path / "s").exists(), "diff never writes to the store"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A git repository holding data/ at two commits: the old fixture, then the new one."""
    root = tmp_path_factory.mktemp("repo")
    _git(root, "init", "-q")
    _git(root, "config", "user.email", "test@example.org")
    _git(root, "config", "user.name", "test")
    shutil.copytree(OLD, root / "data")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "old")
    first = _git(root, "rev-parse", "HEAD")
    shutil.rmtree(root / "data")
    shutil.copytree(NEW, root / "data")
    # index afresh: a file of the same size and copied time would look unchanged to git
    _git(root, "rm", "-r", "-q", "--cached", "data")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "new")
    return root, first, _git(root, "rev-parse", "HEAD")


def test_two_git_revisions_list_exactly_the_changes(repo: tuple[Path, str, str],
                                                    tmp_path: Path) -> None:
    root, first, second = repo
    data = root / "data"
    before = (data / "essai" / "jobs.yaml").stat().st_mtime_ns
    code, out, err = run("diff", str(data), str(data), "--git", f"{first}..{second}",
                         "--format", "json", "--store", str(tmp_path / "store"))
    assert code == 0, err
    doc = json.loads(out)
    assert {(c["scope"], c["kind"], c["id"]) for c in doc["changes"]} == EXPECTED
    assert {(i["level"], i["what"], i["subject"]) for i in doc["impacts"]
            if i["what"] != "query"} == IMPACTS
    assert doc["old"]["label"].endswith(f"@{first}")
    # OLD at a revision, NEW as the working tree holds it: the same changes
    code, out, err = run("diff", str(data), str(data), "--git", first, "--format", "json",
                         "--no-queries", "--store", str(tmp_path / "store"))
    assert code == 0, err
    assert {(c["scope"], c["kind"], c["id"]) for c in json.loads(out)["changes"]} == EXPECTED
    # the working tree and the store are untouched
    assert _git(root, "status", "--porcelain") == ""
    assert (data / "essai" / "jobs.yaml").stat().st_mtime_ns == before
    assert not (tmp_path / "store").exists()
    # the same revision on both sides: nothing
    code, out, err = run("diff", str(data), str(data), "--git", f"{second}..{second}",
                         "--no-queries")
    assert code == 0 and "No change." in out and "ROME: the same files on both sides" in out


def test_two_built_graphs_give_the_same_changes(tmp_path: Path) -> None:
    files = []
    for name, data in (("old", OLD), ("new", NEW)):
        out = tmp_path / f"{name}.trig"
        code, _, err = run("build", "--data", str(data), "--store", str(tmp_path / name),
                           "-o", str(out))
        assert code == 0, err
        files.append(out)
    result = diff(files[0], files[1], queries=False)
    assert kinds(result) == EXPECTED
    nq = tmp_path / "new.nq"
    assert run("build", "--data", str(NEW), "--store", str(tmp_path / "new"), "-o", str(nq))[0] == 0
    assert kinds(diff(files[0], nq, queries=False)) == EXPECTED


def test_rome_exports_and_the_crosswalk(tmp_path: Path) -> None:
    """A ROME v3 export against a v4 one (fiches, mobility; no appellation file on the v3 side),
    and the ESCO–ROME crosswalk against the v4 appellations (their v3 fiche as v4 states it)."""
    v3, v4 = OLD / "rome" / "v347", NEW / "rome" / "v460"
    result = diff(v3, v4)
    assert {(c.kind, c.id) for c in result.changes} == {
        ("fiche-added", "M1610"), ("fiche-removed", "M1604"), ("fiche-retitled", "M1607"),
        ("mobility-added", "M1601 → M1602"), ("mobility-added", "M1602 → M1610"),
        ("mobility-removed", "M1602 → M1607")}
    assert any("ROME appellations: not compared (OLD does not hold them)" in n
               for n in result.notes)
    crosswalk = OLD / "rome" / "esco" / "FR_20230607_mapping_esco_rome.csv"
    result = diff(crosswalk, v4)
    assert {(c.kind, c.id) for c in result.changes} == {
        ("appellation-removed", "103"), ("appellation-moved", "102"),
        ("esco-link-orphaned", "test-assistant skos:narrowMatch 103")}
    moved = next(c for c in result.changes if c.kind == "appellation-moved")
    assert (moved.old, moved.new) == ("M1607", "M1610") and "code_rome_parent" in (moved.note or "")
    assert "ESCO crosswalk: 2 of OLD's 3 links reach an appellation NEW's ROME has" in \
        result.notes
    # the crosswalk names only the appellations it maps: no "added" for the others
    assert not any(c.kind == "appellation-added" for c in result.changes)


def _broken_revision(root: Path) -> str:
    jobs = root / "data" / "essai" / "jobs.yaml"
    text = jobs.read_text(encoding="utf-8")
    jobs.write_text(text.replace("    level: I\n", "    level: [I\n", 1), encoding="utf-8")
    _git(root, "commit", "-q", "-am", "broken")
    rev = _git(root, "rev-parse", "HEAD")
    _git(root, "reset", "-q", "--hard", "HEAD~1")
    return rev


@pytest.mark.parametrize("case", ["two-referentials", "rome-and-referential", "unreadable-graph",
                                  "not-jobgraph-graph", "missing-path", "unknown-revision",
                                  "not-in-revision", "broken-data-at-revision", "too-many-revs"])
def test_sides_that_cannot_be_compared_exit_2(case: str, tmp_path: Path,
                                              repo: tuple[Path, str, str]) -> None:
    root, first, _ = repo
    bad = tmp_path / "bad.trig"
    args: list[str]
    if case == "two-referentials":
        args, what = [str(OLD / "essai"), str(NEW / "autre")], "not comparable"
    elif case == "rome-and-referential":
        args, what = [str(OLD / "rome" / "v460"), str(NEW / "essai")], "not comparable"
    elif case == "unreadable-graph":
        bad.write_text("<https://w3id.org/jobgraph/id/graph/x> { <a> <b> . }\n", encoding="utf-8")
        args, what = [str(bad), str(NEW)], "bad.trig: not a readable TRIG file"
    elif case == "not-jobgraph-graph":
        bad.write_text("<http://x/g> { <http://x/a> <http://x/b> <http://x/c> . }\n",
                       encoding="utf-8")
        args, what = [str(bad), str(NEW)], "holds no jobgraph named graph"
    elif case == "missing-path":
        args, what = [str(tmp_path / "nowhere"), str(NEW)], "no such file or folder"
    elif case == "unknown-revision":
        args, what = [str(root / "data"), str(root / "data"), "--git", "v9.9"], \
            "unknown git revision"
    elif case == "not-in-revision":
        (root / "extra").mkdir(exist_ok=True)
        (root / "extra" / "referential.yaml").write_text("id: extra\n", encoding="utf-8")
        args, what = [str(root / "extra"), str(root / "data"), "--git", first], \
            "does not exist at that revision"
    elif case == "broken-data-at-revision":
        rev = _broken_revision(root)
        args, what = [str(root / "data"), str(root / "data"), "--git", rev], \
            "data/essai/jobs.yaml:"
    else:
        args, what = [str(OLD), str(NEW), "--git", "a", "--git", "b", "--git", "c"], \
            "--git takes one revision"
    code, out, err = run("diff", *args, "--no-queries", "--store", str(tmp_path / "store"))
    assert code == 2, (out, err)
    assert what in err and "Traceback" not in err, err
    assert not (tmp_path / "store").exists()
    shutil.rmtree(root / "extra", ignore_errors=True)


# --- ROME v3 (v347) → ROME 4.0 (v460) on the shipped files: the figures of docs/rome-releases.md

@pytest.mark.slow
def test_shipped_rome_v3_to_v4_figures() -> None:
    rome = PROJECT / "data" / "rome"
    result = diff(rome / "v347", rome / "v460")
    counts = result.counts()["rome"]
    assert counts["fiche-added"] == 1052 and counts.get("fiche-removed", 0) == 0
    assert counts["fiche-retitled"] == 532
    assert counts.get("fiche-moved-domain", 0) == 0
    assert counts["mobility-removed"] == 2394 and counts["mobility-added"] == 13298
    assert "ROME mobility: 1614 edges between the same two fiches on both sides, 1614 of them " \
           "with another kind" in result.notes
    docs = (PROJECT / "docs" / "rome-releases.md").read_text(encoding="utf-8")
    for figure in ("1,052", "532", "2,394", "1,614", "13,298"):
        assert figure in docs, figure
    crosswalk = diff(rome / "esco" / "FR_20230607_mapping_esco_rome.csv", rome / "v460")
    counts = crosswalk.counts()["rome"]
    assert counts["appellation-relabelled"] == 1549 and counts["appellation-moved"] == 3239
    assert counts.get("appellation-removed", 0) == 0
    assert "ESCO crosswalk: 11118 of OLD's 11118 links reach an appellation NEW's ROME has" in \
        crosswalk.notes
    for figure in ("11,118", "1,549", "3,239"):
        assert figure in docs, figure


def test_validation_reports_the_crosswalk_link_whose_appellation_left_rome(tmp_path: Path) -> None:
    """NEW's ROME lost appellation 103, which its crosswalk still maps: the build keeps the link
    and validation reports it (referential rome), where rome.py used to drop it silently."""
    from jobgraph.validate import validate

    report = validate(NEW, store_dir=tmp_path / "store", reason=False)
    found = [f for f in report.findings if f.rule == "qc:esco-appellation-in-rome"]
    assert [(f.focus, f.value, f.referential, f.severity) for f in found] == [
        ("http://data.europa.eu/esco/occupation/test-assistant", "103", "rome", "warning")]
    assert "skos:narrowMatch" in found[0].message
    old = validate(OLD, store_dir=tmp_path / "old", reason=False)
    assert not [f for f in old.findings if f.rule == "qc:esco-appellation-in-rome"]
