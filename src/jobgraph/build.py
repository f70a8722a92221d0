"""Build: curated data, ROME and ontology to named graphs, an output file and the embedded store."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from rdflib import Dataset as RdfDataset
from rdflib import Graph, URIRef
from rdflib.compare import to_canonical_graph

from . import __version__, derivation
from .convert import Triple, convert_referential
from .dataset import Description, GraphPart, describe
from .load import load, load_referential
from .model import Dataset
from .namespaces import GRAPH, graph_iri
from .resources import resource_dir
from .rome import convert_rome
from .romefiles import read_rome
from .serialize import jsonld, nquads, trig, trig_block, turtle, turtle_block
from .workspace import (
    Workspace,
    atomic_write,
    content_hash,
    input_digest,
    log,
    module_closure,
    read_cache,
    write_cache,
)

FORMATS = {".trig": "trig", ".nq": "nquads", ".nquads": "nquads", ".ttl": "turtle",
           ".jsonld": "jsonld", ".json": "jsonld"}


@dataclass
class GraphSummary:
    graph: URIRef
    name: str
    triples: int
    detail: str = ""


@dataclass
class BuildResult:
    store_dir: Path
    summaries: list[GraphSummary] = field(default_factory=list)
    output: Path | None = None
    rebuilt: bool = True
    seconds: float = 0.0
    dataset: Dataset | None = None
    assembled: Assembled | None = field(default=None, repr=False)
    about: Description | None = None  # the graph's description (jgid:graph/dataset)
    derived: dict[str, Any] = field(default_factory=dict)  # what the build made of it

    @property
    def triples(self) -> int:
        return sum(s.triples for s in self.summaries)


def ontology_triples() -> list[Triple]:
    """The ontology and its alignments, with blank nodes named canonically (stable output)."""
    g = Graph()
    for path in sorted(resource_dir("ontology").glob("*.ttl")):
        g.parse(path, format="turtle")
    canon = to_canonical_graph(g)
    return sorted(canon, key=lambda t: (str(t[0]), str(t[1]), str(t[2])))


@dataclass
class Chunk:
    """A graph kept already serialized: ROME is large and changes only with its files."""

    graph: URIRef
    triples: int
    summary: str
    nquads: str
    rome_dir: Path
    paths: dict[str, Path]

    # a build needs only the N-Quads (for the store); TriG and Turtle are made when an output file
    # asks for them, then cached: writing them at every cold build took half its time
    @property
    def trig(self) -> str:
        return self._text("trig")

    @property
    def turtle(self) -> str:
        return self._text("ttl")

    def _text(self, ext: str) -> str:
        path = self.paths[ext]
        cached = read_cache(path)
        if cached is not None:
            return cached.decode("utf-8")
        triples, _ = convert_rome(read_rome(self.rome_dir))
        text = trig_block(GRAPH.ROME, triples) if ext == "trig" else turtle_block(triples)
        write_cache(path, text.encode("utf-8"))
        return text


def rome_cache_key(rome_dir: Path) -> str:
    """The key ROME's graph is cached by: the content of the ROME files and of the converter."""
    # the converter is part of the key: a fix in rome.py must not reuse a graph cached before it.
    # Files and modules are hashed apart, so the key does not depend on where the folder is (a
    # copy of data/rome elsewhere, read by jobgraph diff at a git revision, has the same key)
    files = content_hash(list(rome_dir.rglob("*.csv")))
    modules = content_hash(module_closure(Path(__file__).with_name("rome.py")))
    return hashlib.sha256(f"{files} {modules}".encode()).hexdigest()[:20]


def rome_chunk(rome_dir: Path, cache_dir: Path) -> Chunk:
    """ROME's graph, serialized; cached on disk by the content of the ROME files.

    Each cache file is checked against the size and SHA-256 written with it (``read_cache``): a
    truncated N-Quads file once gave a store of 234,101 triples where 456,768 were announced.
    """
    key = rome_cache_key(rome_dir)
    paths = {ext: cache_dir / f"rome-{key}.{ext}" for ext in ("nq", "trig", "ttl", "json")}
    meta_bytes = read_cache(paths["json"])
    text = read_cache(paths["nq"]) if meta_bytes is not None else None
    if meta_bytes is not None and text is not None:
        meta = json.loads(meta_bytes)
        return Chunk(GRAPH.ROME, meta["triples"], meta["summary"], text.decode("utf-8"),
                     rome_dir, paths)
    triples, counts = convert_rome(read_rome(rome_dir))
    chunk = Chunk(GRAPH.ROME, len(triples), counts.summary(), nquads({GRAPH.ROME: triples}),
                  rome_dir, paths)
    # the N-Quads first: meta without its graph is never found, a graph without meta is remade
    if write_cache(paths["nq"], chunk.nquads.encode("utf-8")):
        write_cache(paths["json"], json.dumps(
            {"triples": chunk.triples, "summary": chunk.summary}).encode("utf-8"))
    return chunk


@dataclass
class Assembled:
    """Everything a build makes: the records, the small graphs as triples, ROME serialized."""

    dataset: Dataset
    graphs: dict[URIRef, list[Triple]]  # the ontology and the curated graphs
    chunks: list[Chunk]
    summaries: list[GraphSummary]
    about: Description | None = None
    description: list[Triple] = field(default_factory=list)  # the dataset graph's triples
    # graphs a build took from its cache instead of converting (their referential's files did
    # not change since it was converted into the store): digest, triples, dependencies
    known: dict[URIRef, dict[str, Any]] = field(default_factory=dict)
    # cache files (converted referentials, graph metas) written once the store is swapped in:
    # bad data or a store that cannot be written leaves the store folder as it was
    caches: list[tuple[Path, bytes]] = field(default_factory=list, repr=False)
    _texts: dict[URIRef, str] = field(default_factory=dict, repr=False)

    def text(self, graph: URIRef) -> str:
        """The N-Quads of one of the small graphs, made once."""
        found = self._texts.get(graph)
        if found is None:
            found = self._texts[graph] = nquads({graph: self.small_graphs()[graph]})
        return found

    def digest(self, graph: URIRef) -> str:
        known = self.known.get(graph)
        return str(known["digest"]) if known else _graph_digest(self.text(graph))

    def small_graphs(self) -> dict[URIRef, list[Triple]]:
        """The graphs kept as triples: ``graphs`` and the dataset description."""
        return {**self.graphs, GRAPH.DATASET: self.description} if self.description \
            else dict(self.graphs)

    def nquads(self) -> str:
        return nquads(self.small_graphs()) + "".join(c.nquads for c in self.chunks)

    def serialize(self, fmt: str) -> str:
        if fmt == "trig":
            return trig(self.small_graphs(), [c.trig for c in self.chunks])
        if fmt == "nquads":
            return self.nquads()
        if fmt == "turtle":
            return turtle(self.small_graphs(), [c.turtle for c in self.chunks])
        if fmt == "jsonld":
            graphs = self.small_graphs()
            for c in self.chunks:
                rd = RdfDataset()
                rd.parse(data=c.nquads, format="nquads")
                graphs[c.graph] = list(rd.graph(c.graph))
            return jsonld(graphs)
        raise ValueError(f"unknown format {fmt}")


def assemble(data_dir: Path, cache_dir: Path, *, rome: bool = True,
             unchanged: dict[str, str] | None = None) -> Assembled:
    """Load and convert everything: the named graphs and a summary per graph (ROME left out
    when ``rome`` is false: the curated data alone, for reading its locations and acceptances).

    ``unchanged``: the digests of the graphs the store holds (a build into an existing store).
    Then each referential folder is read from the cache when its files did not change, and its
    graph is not converted when the store holds it as it would be made (``Assembled.known``): a
    maintainer's rebuild reads and converts the referentials that changed, not all of them.
    """
    cached = unchanged is not None
    reader = _cached_reader(cache_dir, Path(data_dir)) if cached else None
    ds = load(data_dir, read=reader)
    graphs: dict[URIRef, list[Triple]] = {}
    known: dict[URIRef, dict[str, Any]] = {}
    summaries: list[GraphSummary] = []
    metas: list[tuple[Path, bytes]] = []
    onto = ontology_triples()
    graphs[GRAPH.ONTOLOGY] = onto
    summaries.append(GraphSummary(GRAPH.ONTOLOGY, "ontology", len(onto)))
    for ref in ds.referentials.values():
        gname = graph_iri(ref.id)
        detail = (f"{len(ref.jobs)} jobs, {len(ref.families)} families, "
                  f"{len(ref.scale.levels) if ref.scale else 0} levels, "
                  f"{len(ref.criteria)} criteria, {len(ref.competences)} competences, "
                  f"{len(ref.certifications)} certifications, {len(ref.rome_links)} ROME links")
        key = _conversion_key(ds, ref.id) if cached else None
        meta = json.loads(read_cache(cache_dir / f"graph-{key}.json") or b"null") if key else None
        if isinstance(meta, dict) and unchanged and unchanged.get(str(gname)) == meta["digest"]:
            known[gname] = meta
            summaries.append(GraphSummary(gname, ref.id, int(meta["triples"]), detail))
            continue
        triples = list(dict.fromkeys(convert_referential(ref, ds)))
        graphs[gname] = triples
        summaries.append(GraphSummary(gname, ref.id, len(triples), detail))
        if key:
            text = nquads({gname: triples})
            meta = {"digest": _graph_digest(text), "triples": len(triples),
                    "deps": derivation.dependencies({gname: triples}).get(ref.id, [])}
            metas.append((cache_dir / f"graph-{key}.json", json.dumps(meta).encode("utf-8")))
    chunks = []
    if rome and ds.rome_dir is not None:
        chunk = rome_chunk(ds.rome_dir, cache_dir)
        chunks.append(chunk)
        summaries.append(GraphSummary(GRAPH.ROME, "rome", chunk.triples, chunk.summary))
    caches = [*(reader.pending if reader is not None else []), *metas]
    assembled = Assembled(ds, graphs, chunks, summaries, known=known, caches=caches)
    _describe(assembled)
    return assembled


# --- the build's cache of referential folders -------------------------------------------------

@cache
def _code(entry: str) -> str:
    """The digest of ``entry``'s module closure: once per process (0.05–0.13 s each, and a build
    asks it for every referential folder: 4.5 min of a rebuild at ×300 before)."""
    return content_hash(list(module_closure(Path(__file__).with_name(entry))))


def _folder_key(folder: Path, root: Path) -> str | None:
    """What a referential folder's records depend on: its files' names and bytes, where the data
    folder is (file:line locations, the folder's path), the loader's code and its limits."""
    h = hashlib.sha256(f"{_code('load.py')}\0{root.resolve()}\0{folder.name}\n".encode())
    for name, value in sorted(os.environ.items()):
        if name.startswith("JOBGRAPH_"):
            h.update(f"{name}={value}\n".encode())
    try:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return None  # read as usual: the loader says what is wrong
    return h.hexdigest()[:24]


def _cached_reader(cache_dir: Path, root: Path) -> Any:
    """``load_referential``, kept in the cache folder by the folder's content: a folder read
    without any problem is kept (pickled records, checked by size and SHA-256 like every cache
    file), and read back the next time its files are the same. What was read waits in
    ``read.pending`` until the build has swapped its store in (``Assembled.caches``)."""
    keys: dict[str, str] = {}
    pending: list[tuple[Path, bytes]] = []

    def read(folder: Path, data_dir: Path, problems: list[Any], unread: set[str]) -> Any:
        key = _folder_key(folder, data_dir)
        if key is not None:
            data = read_cache(cache_dir / f"referential-{key}.pickle")
            if data is not None:
                try:
                    ref = pickle.loads(data)
                    keys[ref.id] = key
                    return ref
                except Exception:  # a cache of an older jobgraph: read the folder again
                    pass
        before, skipped = len(problems), set(unread)
        ref = load_referential(folder, data_dir, problems, unread)
        if ref is not None and key is not None and len(problems) == before and unread == skipped:
            keys[ref.id] = key
            pending.append((cache_dir / f"referential-{key}.pickle",
                            pickle.dumps(ref, protocol=pickle.HIGHEST_PROTOCOL)))
        return ref

    read.keys = keys  # type: ignore[attr-defined]
    read.pending = pending  # type: ignore[attr-defined]
    _READ_KEYS[str(root.resolve())] = keys
    return read


_READ_KEYS: dict[str, dict[str, str]] = {}


def _conversion_key(ds: Dataset, ref_id: str) -> str | None:
    """What a referential's graph depends on: its folder's records, the records of the
    referential whose scale it uses, the converter's code."""
    keys = _READ_KEYS.get(str(Path(ds.root).resolve()), {})
    ref = ds.referentials[ref_id]
    wanted = [ref_id] + ([ref.scale_ref] if ref.scale_ref else [])
    if any(r not in keys for r in wanted):
        return None
    h = hashlib.sha256(_code("convert.py").encode())
    for r in wanted:
        h.update(f"{r}={keys[r]}\n".encode())
    return h.hexdigest()[:24]


_TITLES = {GRAPH.ONTOLOGY: ("Ontologie jobgraph", "jobgraph ontology"),
           GRAPH.ROME: ("ROME 4.0, mobilités du ROME v3 et table de correspondance ESCO–ROME",
                        "ROME 4.0, ROME v3 mobility and the ESCO–ROME crosswalk")}


def _describe(a: Assembled) -> None:
    """The dataset description of ``a`` (its own named graph and a summary line)."""
    parts = []
    for s in a.summaries:
        ref = a.dataset.referentials.get(s.name)
        own = (ref.title, ref.title_en) if ref else (s.name, None)
        fr_title, en_title = _TITLES.get(s.graph, own)
        parts.append(GraphPart(s.graph, s.name, fr_title, en_title, s.triples))
    # the version is the digest of the graphs' digests (a graph taken from the cache is not
    # serialized again for it)
    digests = {**{g: a.digest(g) for g in (*a.graphs, *a.known)},
               **{c.graph: _graph_digest(c.nquads) for c in a.chunks}}
    a.about = describe(a.dataset, parts, (digests[p.iri] for p in parts))
    a.description = a.about.rdf()
    detail = f"{a.about.version}, issued {a.about.issued or 'undated'}, {a.about.builder}"
    a.summaries.append(GraphSummary(GRAPH.DATASET, "dataset", len(a.description), detail))


def _graph_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


_BATCH_CHARS = 32 * 2**20


def _batches(texts: Iterable[str], size: int = _BATCH_CHARS) -> Iterator[str]:
    """The N-Quads of ``texts`` regrouped in pieces of about ``size`` characters, cut at line
    ends."""
    pending: list[str] = []
    length = 0
    for text in texts:
        start = 0
        while len(text) - start > size - length:
            cut = text.find("\n", start + max(0, size - length)) + 1 or len(text)
            pending.append(text[start:cut])
            yield "".join(pending)
            pending, length, start = [], 0, cut
        if start < len(text):
            pending.append(text[start:])
            length += len(text) - start
    if pending:
        yield "".join(pending)


def _write_store(target: Path, parts: dict[str, str], previous: Path | None,
                 previous_digests: dict[str, str], *, derived: dict[str, Any] | None = None,
                 deps: dict[str, list[str]] | None = None,
                 cache_dir: Path | None = None, wanted: set[str] | None = None
                 ) -> dict[str, Any]:
    """Fill the store at ``target`` with ``parts`` (graph IRI -> N-Quads), then its derived graph
    (``derivation``); returns what the manifest keeps of the derived graph.

    When a previous store exists, it is first copied by a hard-link checkpoint and only the graphs
    whose content changed are replaced: ROME (most of the triples) is then not loaded again, and
    the derived graph is made again for the referentials that changed (and those that name them)
    alone. ``derived`` is the previous manifest's entry, ``deps`` each referential's
    dependencies (``derivation.dependencies``).
    """
    import pyoxigraph as ox

    code = derivation.code_digest()
    derived_graph = str(GRAPH.DERIVED)
    if previous is not None and previous.exists():
        # read-only: opening the live store read-write would write into it (a new MANIFEST,
        # OPTIONS and log files), even on a full disk; a read-only open writes nothing
        live = ox.Store.read_only(str(previous))
        live.backup(str(target))
        del live
        store = ox.Store(str(target))
        # the graphs the data makes (those a build took from its cache included)
        wanted = wanted if wanted is not None else set(parts)
        present = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
        removed = present - wanted - {derived_graph}
        changed = {g for g, text in parts.items()
                   if previous_digests.get(g) != _graph_digest(text) or g not in present}
        the_plan = derivation.plan(derived, changed=changed, removed=removed, deps=deps or {},
                               code=code)
        maker = derivation.Maker(store, the_plan, cache_dir=cache_dir, previous=derived)
        maker.before()
        for g in removed:
            store.remove_graph(ox.NamedNode(g))
        for g, text in parts.items():
            if g not in changed:
                continue
            node = ox.NamedNode(g)
            if store.contains_named_graph(node):
                store.remove_graph(node)
            for batch in _batches([text]):
                store.bulk_load(input=batch.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
    else:
        if set(parts) != (wanted if wanted is not None else set(parts)):
            raise ValueError("a build into a new store converts every graph")
        store = ox.Store(str(target))
        # in batches: the bulk loader holds what one call gives it (~0.9 kB a quad), so one call
        # with everything took 1.3 GB at 1.5 million quads; batches of 32 MB take ~0.2 GB, as fast
        for batch in _batches(parts.values()):
            store.bulk_load(input=batch.encode("utf-8"), format=ox.RdfFormat.N_QUADS)
        the_plan = derivation.Plan(True, reason="a new store")
        maker = derivation.Maker(store, the_plan, cache_dir=cache_dir)
    state = maker.after()
    state["deps"] = deps or {}
    state["plan"] = "all" if the_plan.full else sorted(the_plan.refs)
    state["made"] = ("made whole" + (f" ({the_plan.reason})" if the_plan.reason else "")
                     if the_plan.full else f"made again for {len(the_plan.refs)} referential(s)")
    state["triples"] = sum(1 for _ in store.quads_for_pattern(
        None, None, None, ox.NamedNode(derived_graph)))
    state["seconds"] = round(maker.seconds.get("derive", 0.0), 2)
    store.flush()
    # each bulk load leaves its own sorted files, which every lookup then searches in turn:
    # compacting them makes the queries 2–3× faster on disk (validate at ×100: 104 s of SPARQL
    # before, 41 s after), for ~1 s on the shipped data and ~4 s at ×100 (benchmarks/README.md)
    store.optimize()
    del store
    return state


def build(data_dir: Path, *, store_dir: Path, output: Path | None = None,
          fmt: str | None = None, assembled: Assembled | None = None,
          lock_wait: float | None = None) -> BuildResult:
    """Build the graph from ``data_dir`` into the store (and ``output`` if given).

    The new store is made beside the old one and swapped in only when complete: a failed build
    leaves the previous store whole. One build at a time (``Workspace.writing``; a second waits
    ``lock_wait`` seconds, then raises StoreBusy). ``assembled``: the data already loaded and
    converted by the caller (validate), not read again.
    """
    start = time.perf_counter()
    ws = Workspace(Path(store_dir))
    fp = input_digest(data_dir)  # before reading: data edited meanwhile leaves the store stale
    if assembled is None:
        # outside the lock: bad data fails here, before anything is written in the store folder;
        # with an output file every graph is converted (the file holds them all), and the caches
        # of a maintainer's next rebuild are written all the same
        assembled = assemble(data_dir, ws.cache, unchanged={} if output is not None else _held(ws))
    reading = time.perf_counter() - start
    with ws.writing(wait=lock_wait):
        result = _build(ws, data_dir, assembled=assembled, fp=fp)
    assert result is not None
    result.seconds += reading  # the time spent waiting for the lock is not the build's
    if output is not None:
        start = time.perf_counter()
        fmt = fmt or FORMATS.get(output.suffix, "trig")
        assert result.assembled is not None
        atomic_write(output, result.assembled.serialize(fmt))
        result.output = output
        result.seconds += time.perf_counter() - start
    return result


def _build(ws: Workspace, data_dir: Path, *, assembled: Assembled, fp: str,
           only_if_stale: bool = False) -> BuildResult | None:
    """The store-writing part of a build, under the lock; None when ``only_if_stale`` and the
    store is fresh (a process that held the lock before this one built it)."""
    start = time.perf_counter()
    if only_if_stale and ws.is_fresh(data_dir):
        return None
    summaries = assembled.summaries
    parts = {str(g): assembled.text(g) for g in assembled.small_graphs()}
    parts.update({str(c.graph): c.nquads for c in assembled.chunks})
    digests = {g: _graph_digest(text) for g, text in parts.items()}
    digests.update({str(g): str(m["digest"]) for g, m in assembled.known.items()})
    # the previous store is copied only when every file is what its build wrote: a damaged one
    # is never carried forward, the graph is made again from the data
    damage = ws.damage(deep=True)
    if damage:
        log.warning("the store in %s is damaged: %s; rebuilding it from the data", ws.root,
                    damage)
    manifest = (ws.read_manifest() or {}) if damage is None else {}
    found = manifest.get("digests")
    previous_digests: dict[str, str] = found if isinstance(found, dict) else {}
    previous_derived = manifest.get("derived") if isinstance(manifest.get("derived"), dict) \
        else None
    # each referential's dependencies: made again for the graphs that changed, kept for others
    old_deps = (previous_derived or {}).get("deps")
    deps: dict[str, list[str]] = dict(old_deps) if isinstance(old_deps, dict) else {}
    fresh = {g: t for g, t in assembled.small_graphs().items()
             if previous_digests.get(str(g)) != digests.get(str(g))}
    deps = {name: uses for name, uses in deps.items()
            if str(graph_iri(name)) in digests} | derivation.dependencies(fresh)
    deps.update({str(g).rsplit("/", 1)[-1]: list(m.get("deps", [])) for g, m in
                 assembled.known.items()})
    with ws.translating():
        tmp = ws.new_store()
        try:
            reuse = ws.db if previous_digests else None
            derived = _write_store(tmp / "db", parts, reuse, previous_digests if reuse else {},
                                   derived=previous_derived if reuse else None, deps=deps,
                                   cache_dir=ws.cache, wanted=set(digests))
            ws.write_manifest(tmp, {
                "fingerprint": fp, "version": __version__,
                "data": str(Path(data_dir).resolve()), "digests": digests, "derived": derived,
                "graphs": {s.name: {"iri": str(s.graph), "triples": s.triples,
                                    "detail": s.detail} for s in summaries}})
            ws.swap_in(tmp)
        except BaseException:
            ws.discard(tmp)
            raise
    for path, data in assembled.caches:
        write_cache(path, data)
    return BuildResult(store_dir=ws.root, summaries=summaries, dataset=assembled.dataset,
                       assembled=assembled, about=assembled.about,
                       seconds=time.perf_counter() - start,
                       derived={k: derived[k] for k in ("triples", "made", "seconds")
                                if k in derived})


def _held(ws: Workspace) -> dict[str, str]:
    """The digests of the graphs the store holds, as its manifest records them; none when the
    store is damaged (then everything is converted again)."""
    if ws.damage() is not None:
        return {}
    found = (ws.read_manifest() or {}).get("digests")
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def ensure_store(data_dir: Path, store_dir: Path, *,
                 lock_wait: float | None = None) -> tuple[Path, BuildResult | None]:
    """The store's database folder, rebuilt first when the data changed since the last build or
    the store is damaged. A fresh store is read without the lock; a rebuild takes it, and checks
    again once it has it (another process may have just built the same store)."""
    ws = Workspace(Path(store_dir))
    if ws.is_fresh(data_dir):
        return ws.db, None
    fp = input_digest(data_dir)
    # read before the lock, as ``build`` does: bad data writes nothing (two processes rebuilding
    # at once both read the data; the second then finds the store fresh and writes nothing)
    assembled = assemble(data_dir, ws.cache, unchanged=_held(ws))
    with ws.writing(wait=lock_wait):
        return ws.db, _build(ws, data_dir, assembled=assembled, fp=fp, only_if_stale=True)


__all__ = ["Assembled", "BuildResult", "assemble", "build", "ensure_store", "rome_cache_key"]
