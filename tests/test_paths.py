"""Career paths: the search over the career-path query's steps; the text, DOT and SVG output."""

from __future__ import annotations

import io
import itertools
import shutil
import xml.etree.ElementTree as ET
from typing import Any

import pyoxigraph as ox
import pytest

from jobgraph import drawing, paths
from jobgraph.backends import OxigraphBackend
from jobgraph.cli import EXIT_EXTERNAL, main
from jobgraph.paths import CareerPath, Graph, Step, shortest_paths
from query_cases import ACCUEIL, AGENT, ASSISTANT, CHEF, CONSEILLER, FIXTURE

SVG = "{http://www.w3.org/2000/svg}"
ID = "https://w3id.org/jobgraph/id/"


@pytest.fixture(scope="module")
def backend() -> OxigraphBackend:
    store = ox.Store()
    store.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    return OxigraphBackend(store)


@pytest.fixture(scope="module")
def steps(backend: OxigraphBackend) -> list[Step]:
    return paths.load_steps(backend)


def kinds(path: CareerPath) -> list[str]:
    return [s.kind for s in path.steps]


def run_path(backend: Any, source: str, target: str, fmt: str = "text",
             lang: str = "fr", *extra: str) -> tuple[int, str]:
    """``jobgraph path`` on ``backend`` (was paths.cli_path, called with argparse's namespace)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        # the backend chooser moved from cli.py (_backend) to the cli package's common module
        mp.setattr("jobgraph.cli.common.backend", lambda args: backend)
        code = main(["path", "--from", source, "--to", target, "--format", fmt, "--lang", lang,
                     *extra], out=out, err=err)
    return code, out.getvalue() + err.getvalue()


# --- the search --------------------------------------------------------------------------------

def test_shortest_path_across_referentials(steps: list[Step]) -> None:
    found = shortest_paths(steps, AGENT, CONSEILLER)
    # the agent shares fiche M1601 with beta's accueil job, which progresses to the conseiller
    assert len(found) == 1
    assert found[0].jobs() == [AGENT, ACCUEIL, CONSEILLER]
    # between the agent and the accueil job there is also a ROME v3 "proche" edge: the
    # equivalence ranks first
    assert kinds(found[0]) == ["equivalence", "progression"]
    assert found[0].steps[0].evidence == "M1601"


def test_paths_are_ranked_by_the_cost_of_their_steps(steps: list[Step]) -> None:
    """(was: paths of equal length ranked by kind) a ladder rung and a ROME évolution cost less
    than three steps through equivalences; paths come cheapest first, whatever their length."""
    found = shortest_paths(steps, AGENT, CHEF)
    # (was: the two-step mobility path second, then third) a ROME move costs more when a link
    # is weak: the agent (M1601 exactMatch) to gamma's employé (M1602 closeMatch) costs 3.4 + 0.2,
    # and with its progression (4.6) it falls behind the responsable's equivalence to the chef
    # (4.521) and (was: second) the assistant's equivalence to the employé (0.80: 2.2, + 0.3 since
    # M1602 covers two posts of gamma: in all 4.699)
    assert [p.jobs() for p in found] == [[AGENT, ASSISTANT, CHEF],
                                         [AGENT, ASSISTANT, f"{ID}alpha/job/responsable", CHEF],
                                         [AGENT, ASSISTANT, f"{ID}gamma/job/employe", CHEF]]
    assert [kinds(p) for p in found] == [["progression", "mobility"],
                                         ["progression", "progression", "equivalence"],
                                         ["progression", "equivalence", "progression"]]
    assert [round(p.cost, 2) for p in found] == sorted(round(p.cost, 2) for p in found)


def test_no_path_and_same_job(steps: list[Step]) -> None:
    assert shortest_paths(steps, CONSEILLER, AGENT) == []  # nothing leads back from beta
    assert shortest_paths(steps, AGENT, AGENT) == [CareerPath(())]


def test_a_printed_ladder_beats_a_rome_shortcut() -> None:
    """(was: fewer steps beat better kinds) paths are ranked by plausibility, not by number of
    steps: three printed progressions cost less than one ROME 4 mobility edge, a ladder of six
    rungs more."""
    mobility = [Step("a", "d", "mobility", "X>Y mobilityTo")]
    printed = [Step("a", "b", "progression", "explicit"), Step("b", "c", "progression", "explicit"),
               Step("c", "d", "progression", "explicit")]
    assert kinds(shortest_paths(printed + mobility, "a", "d")[0]) == ["progression"] * 3
    long = [Step(f"r{i}", f"r{i + 1}", "progression", "ladder") for i in range(6)]
    shortcut = [Step("r0", "r6", "mobility", "X>Y mobilityTo")]
    assert kinds(shortest_paths(long + shortcut, "r0", "r6")[0]) == ["mobility"]


def test_best_kind_kept_between_two_jobs() -> None:
    graph = Graph.of([Step("a", "b", "mobility", "X>Y"), Step("a", "b", "proximity"),
                      Step("a", "a", "progression"), Step("a", "b", "unknown-kind")])
    assert set(graph.out("a")) == {"b"}
    assert graph.out("a")["b"].kind == "proximity"  # the cheapest kind of step
    assert len(graph.between("a", "b")) == 2


def test_search_is_deterministic() -> None:
    diamond = [Step("a", x, "progression") for x in "cb"] + [Step(x, "d", "progression")
                                                            for x in "bc"]
    for order in (diamond, list(reversed(diamond))):
        assert [p.jobs() for p in shortest_paths(order, "a", "d")] == [list("abd"), list("acd")]


def test_paths_of_equal_cost_come_in_the_order_of_their_jobs() -> None:
    # 24 paths of one cost, more than the candidates first listed (limit × 3), given in an
    # order that puts the first ones by name last: the answer is still the first by name
    middle = [f"m{i:02d}" for i in range(24)]
    for order in (middle, list(reversed(middle))):
        ties = [Step("s", m, "progression") for m in order] + [Step(m, "t", "progression")
                                                               for m in order]
        found = shortest_paths(ties, "s", "t", limit=3)
        assert [p.jobs() for p in found] == [["s", m, "t"] for m in ("m00", "m01", "m02")]
        assert {p.cost for p in found} == {2.0}


def test_many_paths_are_cut_to_the_best(steps: list[Step]) -> None:
    layers = [["s"], [f"m{i}" for i in range(30)], [f"n{i}" for i in range(30)], ["t"]]
    wide = [Step(u, v, "equivalence") for a, b in itertools.pairwise(layers)
            for u in a for v in b]
    found = shortest_paths(wide, "s", "t", limit=3)
    assert len(found) == 3 and all(len(p.steps) == 3 for p in found)


# --- the command's output ----------------------------------------------------------------------

def test_text_output(backend: OxigraphBackend) -> None:
    code, text = run_path(backend, "alpha/agent", "beta/conseiller")
    assert code == 0
    assert "Chemin 1 (2 étapes)" in text
    assert "Agent d'accueil [alpha/agent; niveau I, CNC 3]" in text
    assert "Chargé d'accueil social [beta/accueil; niveau 4, CNC 4]" in text
    assert "↓ équivalence (M1601); mobilité ROME (M1601>K1205 sidewaysTo)" in text
    assert "↓ progression" in text


def test_text_output_in_english_and_by_label(backend: OxigraphBackend) -> None:
    code, text = run_path(backend, "Agent d'accueil", "chef de bureau", lang="en")
    assert code == 0
    assert text.startswith("Receptionist [alpha/agent; level I, national level 3]")
    # the second and third cheapest have a step more (was: the third; before, all of 2 steps)
    assert "Path 2 (3 steps)" in text and "Path 3 (3 steps)" in text
    assert "ROME mobility (M1602>M1604 upwardTo)" in text


def test_no_path_exits_1(backend: OxigraphBackend) -> None:
    code, text = run_path(backend, "beta/conseiller", "alpha/agent")
    assert code == 1
    assert text.rstrip().endswith("aucun chemin")


def test_dot_output(backend: OxigraphBackend) -> None:
    code, dot = run_path(backend, "alpha/agent", "gamma/chef", "dot")
    assert code == 0
    assert dot.startswith("digraph career_path {") and dot.rstrip().endswith("}")
    assert 'label="Agent d\'accueil\\nalpha\\nniveau I, CNC 3"' in dot
    assert 'label="Chef de bureau\\ngamma\\nniveau 200, CNC 5"' in dot
    # one style per kind of step, and the legend shows them all
    assert '[label="progression\\nladder", style="bold"' in dot
    assert 'label="mobilité ROME\\nM1602>M1604 upwardTo", style="solid"' in dot
    assert "cluster_legend" in dot and 'style="dotted"' in dot and 'style="dashed"' in dot


def test_dot_escapes_quotes() -> None:
    job = paths.Job("x", 'Le "chef"', "ref")
    dot = drawing.render_dot([CareerPath(())], {"x": job}, "x", "x")
    assert 'label="Le \\"chef\\"\\nref"' in dot


def test_svg_output(backend: OxigraphBackend) -> None:
    assert shutil.which("dot"), "this test draws with Graphviz's dot (apt-get install graphviz)"
    code, svg = run_path(backend, "alpha/agent", "beta/conseiller", "svg")
    assert code == 0
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    texts = {"".join(t.itertext()) for t in root.iter(f"{SVG}text")}
    assert {"Agent d'accueil", "Chargé d'accueil social", "Conseiller en insertion",
            "niveau I, CNC 3", "équivalence", "progression", "mobilité ROME"} <= texts
    # edges keep their kind's style: the equivalence is dotted, the progression green
    paths_drawn = [p.attrib for p in root.iter(f"{SVG}path")]
    assert any(a.get("stroke-dasharray") == "1,5" for a in paths_drawn)
    assert any(a.get("stroke") == "#1b7837" for a in paths_drawn)


def test_svg_without_dot_exits_3(backend: OxigraphBackend, tmp_path: Any,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot to be found
    # the backend chooser moved from cli.py (_backend) to the cli package's common module
    monkeypatch.setattr("jobgraph.cli.common.backend", lambda args: backend)
    out, err = io.StringIO(), io.StringIO()
    code = main(["path", "--from", "alpha/agent", "--to", "beta/conseiller", "--format", "svg"],
                out=out, err=err)
    assert code == EXIT_EXTERNAL == 3
    assert "Graphviz's 'dot' program was not found" in err.getvalue()
    assert "--format dot" in err.getvalue()
    assert out.getvalue() == ""
    # the DOT text needs no Graphviz
    out = io.StringIO()
    code = main(["path", "--from", "alpha/agent", "--to", "beta/conseiller", "--format", "dot"],
                out=out, err=err)
    assert code == 0 and out.getvalue().startswith("digraph")


def test_output_file(backend: OxigraphBackend, tmp_path: Any) -> None:
    target = tmp_path / "path.dot"
    code, printed = run_path(backend, "alpha/agent", "gamma/chef", "dot", "fr", "-o", str(target))
    assert code == 0
    assert printed == ""
    assert target.read_text(encoding="utf-8").startswith("digraph")
