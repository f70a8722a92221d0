"""OWL consistency check: HermiT, bundled with owlready2, over the ontology and curated data."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from jobgraph.errors import ExternalError, JavaMissing
from jobgraph.namespaces import OWL, PREFIXES, RDF, RDFS, XSD

__all__ = ["ReasonFinding", "ReasonResult", "java_available", "reason"]

# The directory holding the ``jobgraph`` package, put on the worker's PYTHONPATH.
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent

_WORKER_CODE = "import sys; from jobgraph.reason import _worker; sys.exit(_worker(sys.argv[1:]))"

_JAVA_HINT = (
    "install a Java runtime (e.g. `apt-get install default-jre-headless`) "
    "or skip the OWL check with `jobgraph validate --no-reason`"
)

_INCONSISTENT_MESSAGE = (
    "the ontology and the curated data are inconsistent: HermiT finds no way to make them all "
    "true. Usual causes: a resource of two disjoint classes (typed so, or through a property's "
    "domain or range), a value outside a property's range (text where an integer is expected, a "
    "language tag on a code), two values of a functional property, a job linked to itself by "
    "jg:progressesTo or jg:closeTo"
)


@dataclass(frozen=True)
class ReasonFinding:
    """One problem the reasoner found: ``kind`` is "inconsistent" or "unsatisfiable"."""

    kind: str
    message: str
    iri: str | None = None


@dataclass(frozen=True)
class ReasonResult:
    """Outcome of one reasoner run; ``unsatisfiable`` lists class IRIs, sorted."""

    consistent: bool
    unsatisfiable: tuple[str, ...]
    findings: tuple[ReasonFinding, ...]
    seconds: float


def java_available() -> bool:
    """True when a ``java`` executable is on PATH (the reasoner needs one)."""
    return shutil.which("java") is not None


def reason(graph: rdflib.Graph, *, timeout: float = 300) -> ReasonResult:
    """Check ``graph`` (ontology triples plus curated individuals) for consistency and
    unsatisfiable classes with HermiT.

    The reasoner runs in a child process, killed after ``timeout`` seconds (then
    :class:`ExternalError`). Raises :class:`JavaMissing` when no Java runtime is on PATH.
    """
    java = shutil.which("java")
    if java is None:
        raise JavaMissing(
            f"the OWL consistency check needs Java and no `java` is on PATH; {_JAVA_HINT}"
        )
    started = time.monotonic()
    plain = _plain_graph(graph)
    with tempfile.TemporaryDirectory(prefix="jobgraph-reason-") as tmp:
        workdir = Path(tmp)
        data = workdir / "graph.nt"
        data.write_bytes(_ntriples(plain))
        consistent, unsatisfiable = _run_worker(java, data, workdir=workdir, timeout=timeout)
    seconds = time.monotonic() - started

    if not consistent:
        findings = [ReasonFinding("inconsistent", _INCONSISTENT_MESSAGE, None), *_diagnose(plain)]
        return ReasonResult(False, (), tuple(findings), seconds)
    findings = [
        ReasonFinding(
            "unsatisfiable",
            f"class {_short(iri)} is unsatisfiable: nothing can belong to it, since its axioms "
            "contradict the ontology (for example it is under two disjoint classes)",
            iri,
        )
        for iri in unsatisfiable
    ]
    return ReasonResult(True, unsatisfiable, tuple(findings), seconds)


# --- input ------------------------------------------------------------------------------------


def _plain_graph(graph: rdflib.Graph) -> rdflib.Graph:
    """The triples to reason over: named graphs merged, ``owl:imports`` dropped (nothing is
    fetched over the network: the caller passes every triple)."""
    plain = rdflib.Graph()
    triples: Iterable[tuple[Node, Node, Node]]
    if isinstance(graph, rdflib.ConjunctiveGraph):
        triples = ((s, p, o) for s, p, o, _ in graph.quads((None, None, None, None)))
    else:
        triples = graph.triples((None, None, None))
    for s, p, o in triples:
        if p != OWL.imports:
            plain.add((s, p, o))
    return plain


def _ntriples(graph: rdflib.Graph) -> bytes:
    """N-Triples (owlready2 cannot read Turtle), lines sorted so that a run can be reproduced."""
    text = graph.serialize(format="nt", encoding="utf-8")
    lines = sorted(line for line in text.splitlines(keepends=True) if line.strip())
    return b"".join(lines)


# --- the reasoner, in a child process ---------------------------------------------------------


def _run_worker(
    java: str, data: Path, *, workdir: Path, timeout: float
) -> tuple[bool, tuple[str, ...]]:
    """Run :func:`_worker` in its own process group, so that a timeout also ends its Java child;
    return whether the graph is consistent and its unsatisfiable classes, sorted."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), env.get("PYTHONPATH")]))
    env["TMPDIR"] = str(workdir)  # owlready2 writes HermiT's input file there
    proc = subprocess.Popen(
        [sys.executable, "-c", _WORKER_CODE, java, str(data)],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise ExternalError(
            f"the OWL reasoner did not finish within {timeout:g} s; reason over the ontology and "
            "the curated individuals only, or skip the check with `jobgraph validate --no-reason`"
        ) from None
    except BaseException:
        _kill(proc)
        raise
    try:
        result = json.loads(out.decode("utf-8"))
    except ValueError:
        detail = " | ".join(err.decode("utf-8", "replace").strip().splitlines()[-5:])
        raise ExternalError(
            f"the OWL reasoner failed (exit status {proc.returncode}): {detail}"
        ) from None
    if "error" in result:
        raise ExternalError(f"the OWL reasoner failed: {result['error']}")
    return bool(result["consistent"]), tuple(sorted(str(iri) for iri in result["unsatisfiable"]))


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """End the worker and everything it started (its process group is its own pid)."""
    if proc.poll() is None:
        try:
            if hasattr(os, "killpg"):
                os.killpg(proc.pid, signal.SIGKILL)
            else:  # pragma: no cover - no process groups on this platform
                proc.kill()
        except ProcessLookupError:
            pass
    proc.communicate()


def _worker(argv: list[str]) -> int:
    """Child process: run owlready2's bundled HermiT on the N-Triples file and write
    ``{"consistent": ..., "unsatisfiable": [...]}`` or ``{"error": ...}`` as JSON on stdout.

    HermiT is asked only what the check needs (``-U``: consistency, then the classes equivalent
    to owl:Nothing). owlready2's ``sync_reasoner`` also classifies properties and realises every
    individual (``-c -O -D -I``), which costs about five times as much on the curated graphs.
    """
    java, data = argv
    out = sys.stdout
    sys.stdout = sys.stderr  # only the JSON goes to the parent's pipe
    try:
        from owlready2 import reasoning

        command = [java, f"-Xmx{reasoning.JAVA_MEMORY}M", "-cp", reasoning._HERMIT_CLASSPATH,
                   "org.semanticweb.HermiT.cli.CommandLine", "-U",
                   # xsd:duration (jg:maximumTenure) is outside the OWL 2 datatype map
                   "--ignoreUnsupportedDatatypes", Path(data).as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            if ("InconsistentOntologyException" in done.stderr
                    or "inconsistent" in done.stderr.lower()):
                result: dict[str, object] = {"consistent": False, "unsatisfiable": []}
            else:
                result = {"error": f"HermiT failed: {done.stderr.strip()[-1000:]}"}
        else:
            nothing = str(OWL.Nothing)
            iris = set()
            for line in done.stdout.splitlines()[1:]:
                name = line.strip().strip("<>")
                if name and name != "owl:Nothing" and name != nothing:
                    iris.add(name)
            result = {"consistent": True, "unsatisfiable": sorted(iris)}
    except Exception as exc:  # reported to the parent, which raises ExternalError
        result = {"error": f"{type(exc).__name__}: {exc}".strip()}
    finally:
        sys.stdout = out
    json.dump(result, out)
    out.flush()
    return 0


# --- explaining an inconsistency --------------------------------------------------------------
# HermiT only says "inconsistent". These checks name the resources behind the usual causes, from
# the asserted triples alone; they may find nothing when the contradiction needs deeper reasoning.

_INTEGER_TYPES = {
    XSD.integer,
    XSD.int,
    XSD.long,
    XSD.short,
    XSD.byte,
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
    XSD.nonPositiveInteger,
    XSD.negativeInteger,
    XSD.unsignedLong,
    XSD.unsignedInt,
    XSD.unsignedShort,
    XSD.unsignedByte,
}
_STRING_TYPES = {
    XSD.string,
    XSD.normalizedString,
    XSD.token,
    XSD.language,
    XSD.Name,
    XSD.NCName,
    XSD.NMTOKEN,
}


def _accepts(range_: URIRef, value: Literal) -> bool | None:
    """Whether a literal is in a datatype range; None when the range is not one checked here."""
    if value.ill_typed:
        return False
    datatype, lang = value.datatype, value.language
    if range_ == XSD.integer:
        return datatype in _INTEGER_TYPES
    if range_ == XSD.string:
        return lang is None and (datatype is None or datatype in _STRING_TYPES)
    if range_ == XSD.boolean:
        return datatype == XSD.boolean
    if range_ == RDF.PlainLiteral:
        return datatype is None or datatype in _STRING_TYPES or datatype == RDF.langString
    return None


def _diagnose(graph: rdflib.Graph) -> list[ReasonFinding]:
    """Findings naming resources of disjoint classes, values outside a datatype range, several
    values of a functional datatype property and links of a resource to itself by an
    irreflexive property."""
    findings = [*_disjoint_findings(graph), *_datatype_findings(graph)]
    for prop in sorted(set(graph.subjects(RDF.type, OWL.IrreflexiveProperty)), key=str):
        for s in sorted({s for s, o in graph.subject_objects(prop) if s == o}, key=str):
            msg = f"{_short(s)} is linked to itself by {_short(prop)}, which is irreflexive"
            findings.append(ReasonFinding("inconsistent", msg, str(s)))
    return sorted(set(findings), key=lambda f: (f.iri or "", f.message))


def _superclasses(graph: rdflib.Graph) -> dict[Node, set[Node]]:
    """Named superclasses (told), each class included in its own set."""
    direct: dict[Node, set[Node]] = defaultdict(set)
    for sub, sup in graph.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            direct[sub].add(sup)
    for a, b in graph.subject_objects(OWL.equivalentClass):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            direct[a].add(b)
            direct[b].add(a)
    closure: dict[Node, set[Node]] = {}

    def ancestors(cls: Node) -> set[Node]:
        if cls not in closure:
            seen, todo = {cls}, [cls]
            while todo:
                for sup in direct.get(todo.pop(), ()):
                    if sup not in seen:
                        seen.add(sup)
                        todo.append(sup)
            closure[cls] = seen
        return closure[cls]

    return defaultdict(set, {c: ancestors(c) for c in list(direct)})


def _disjoint_pairs(graph: rdflib.Graph) -> set[frozenset[Node]]:
    pairs: set[frozenset[Node]] = {
        frozenset((a, b))
        for a, b in graph.subject_objects(OWL.disjointWith)
        if isinstance(a, URIRef) and isinstance(b, URIRef) and a != b
    }
    for node in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        for members in graph.objects(node, OWL.members):
            named = [m for m in Collection(graph, members) if isinstance(m, URIRef)]
            pairs.update(frozenset((a, b)) for i, a in enumerate(named) for b in named[i + 1 :])
    return pairs


def _disjoint_findings(graph: rdflib.Graph) -> Iterator[ReasonFinding]:
    pairs = _disjoint_pairs(graph)
    if not pairs:
        return
    supers = _superclasses(graph)
    vocabulary = (str(OWL), str(RDF), str(RDFS))
    domains = {p: d for p, d in graph.subject_objects(RDFS.domain) if isinstance(d, URIRef)}
    ranges = {p: r for p, r in graph.subject_objects(RDFS.range) if isinstance(r, URIRef)}
    # resource -> class -> how the resource gets it
    direct: dict[Node, dict[Node, str]] = defaultdict(dict)
    for s, p, o in graph:
        if p == RDF.type:
            if isinstance(o, URIRef) and not str(o).startswith(vocabulary):
                direct[s].setdefault(o, f"typed {_short(o)}")
            continue
        if p in domains:
            direct[s].setdefault(domains[p], f"subject of {_short(p)}")
        if p in ranges and not isinstance(o, Literal):
            direct[o].setdefault(ranges[p], f"object of {_short(p)}")
    for resource in sorted(direct, key=str):
        under: dict[Node, str] = {}
        for cls, why in sorted(direct[resource].items(), key=lambda kv: (str(kv[0]), kv[1])):
            for sup in sorted(supers[cls] | {cls}, key=str):
                under.setdefault(sup, why)
        clashes = [tuple(sorted(pair, key=str)) for pair in pairs if pair <= under.keys()]
        # keep the most specific clashes: drop (A, B) when (A', B') with A' ⊑ A and B' ⊑ B is there
        specific = [
            (a, b)
            for a, b in clashes
            if not any(
                (x, y) != (a, b)
                and (
                    (a in supers[x] | {x} and b in supers[y] | {y})
                    or (a in supers[y] | {y} and b in supers[x] | {x})
                )
                for x, y in clashes
            )
        ]
        for a, b in sorted(specific, key=str):
            yield ReasonFinding(
                "inconsistent",
                f"{_short(resource)} is a {_short(a)} ({under[a]}) and a {_short(b)} ({under[b]}), "
                "which are disjoint classes",
                str(resource) if not isinstance(resource, BNode) else None,
            )


def _datatype_findings(graph: rdflib.Graph) -> Iterator[ReasonFinding]:
    functional = set(graph.subjects(RDF.type, OWL.FunctionalProperty))
    for prop in sorted(set(graph.subjects(RDF.type, OWL.DatatypeProperty)), key=str):
        ranges = [r for r in graph.objects(prop, RDFS.range) if isinstance(r, URIRef)]
        values: dict[Node, set[object]] = defaultdict(set)
        for s, value in graph.subject_objects(prop):
            if not isinstance(value, Literal):
                continue
            iri = str(s) if isinstance(s, URIRef) else None
            for range_ in ranges:
                if _accepts(range_, value) is False:
                    msg = (
                        f"{_short(s)} has {_short(prop)} {value.n3()}, "
                        f"outside its range {_short(range_)}"
                    )
                    yield ReasonFinding("inconsistent", msg, iri)
            values[s].add(
                value.value if value.value is not None and not value.ill_typed else str(value)
            )
        if prop in functional:
            for s, distinct in values.items():
                if len(distinct) > 1:
                    shown = ", ".join(sorted(map(str, distinct)))
                    msg = (
                        f"{_short(s)} has {len(distinct)} values of {_short(prop)} ({shown}), "
                        "which is functional"
                    )
                    yield ReasonFinding(
                        "inconsistent", msg, str(s) if isinstance(s, URIRef) else None
                    )


def _short(term: Node | str) -> str:
    """``jg:Job`` for a term of a jobgraph prefix, ``<iri>`` otherwise."""
    text = str(term)
    if isinstance(term, BNode):
        return f"_:{text}"
    for prefix, namespace in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if text.startswith(namespace) and len(text) > len(namespace):
            return f"{prefix}:{text[len(namespace) :]}"
    return f"<{text}>"
