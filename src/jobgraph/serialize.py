"""Sorted, byte-stable writers of N-Quads, TriG and Turtle for jobgraph's named graphs."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from .convert import Triple
from .namespaces import JGID, PREFIXES, RDF, XSD
from .terms import escape, nt

_LOCAL_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_BASE = str(JGID)


def nquads(graphs: dict[URIRef, list[Triple]]) -> str:
    """Sorted N-Quads of every graph: same graphs, same bytes."""
    lines: list[str] = []
    for g, triples in graphs.items():
        gt = f"<{g}>"
        lines.extend(f"{nt(s)} {nt(p)} {nt(o)} {gt} .\n" for s, p, o in triples)
    lines.sort()
    return "".join(lines)


class _Shortener:
    def __init__(self) -> None:
        # longest namespace first so jgid: never shadows a longer prefix
        self.prefixes = sorted(((ns, p) for p, ns in PREFIXES.items() if p != "jgid"),
                               key=lambda x: -len(x[0]))
        self.cache: dict[Node, str] = {}

    def term(self, term: Node) -> str:
        # IRIs and literals repeat a lot (types, predicates, levels): shorten each once
        found = self.cache.get(term)
        if found is None:
            found = self.cache[term] = self._term(term)
        return found

    def _term(self, term: Node) -> str:
        if isinstance(term, URIRef):
            if term == RDF.type:
                return "a"
            s = str(term)
            for ns, prefix in self.prefixes:
                if s.startswith(ns) and _LOCAL_RE.match(s[len(ns):]):
                    return f"{prefix}:{s[len(ns):]}"
            if s.startswith(_BASE) and s[len(_BASE):] and ">" not in s:
                return f"<{s[len(_BASE):]}>"
            return f"<{s}>"
        if (isinstance(term, Literal) and term.datatype == XSD.integer
                and re.match(r"^-?\d+$", str(term))):
            return str(term)
        if isinstance(term, Literal) and term.datatype and not term.language:
            for ns, prefix in self.prefixes:
                local = str(term.datatype)[len(ns):]
                if str(term.datatype).startswith(ns) and _LOCAL_RE.match(local):
                    return f'"{escape(str(term))}"^^{prefix}:{local}'
        return nt(term)


def _header() -> list[str]:
    lines = [f"@base <{_BASE}> .\n"]
    lines += [f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(PREFIXES.items())]
    return [*lines, "\n"]


def _block(triples: Iterable[Triple], sh: _Shortener, indent: str) -> list[str]:
    by_subject: dict[Node, dict[Node, set[str]]] = defaultdict(lambda: defaultdict(set))
    for s, p, o in triples:
        by_subject[s][p].add(sh.term(o))
    out = []
    for s in sorted(by_subject, key=nt):
        preds = by_subject[s]
        order = sorted(preds, key=lambda p: (p != RDF.type, nt(p)))
        parts = [f"{sh.term(p)} {' , '.join(sorted(preds[p]))}" for p in order]
        sep = f" ;\n{indent}    "
        out.append(f"{indent}{sh.term(s)} {sep.join(parts)} .\n")
    return out


def trig_block(graph: URIRef, triples: list[Triple]) -> str:
    """One named graph as a TriG block (to follow ``trig``'s prefixes)."""
    sh = _Shortener()
    return "".join([f"{sh.term(graph)} {{\n", *_block(triples, sh, "  "), "}\n\n"])


def turtle_block(triples: Iterable[Triple]) -> str:
    """Triples as Turtle statements (to follow ``turtle``'s prefixes)."""
    return "".join(_block(triples, _Shortener(), ""))


def trig(graphs: dict[URIRef, list[Triple]], extra_blocks: Iterable[str] = ()) -> str:
    """Sorted TriG, one block per named graph, IRIs of instances relative to ``jgid:``."""
    sh = _Shortener()
    out = _header()
    for g in sorted(graphs, key=str):
        out.append(f"{sh.term(g)} {{\n")
        out.extend(_block(graphs[g], sh, "  "))
        out.append("}\n\n")
    out.extend(extra_blocks)
    return "".join(out)


def turtle(graphs: dict[URIRef, list[Triple]], extra_blocks: Iterable[str] = ()) -> str:
    """Sorted Turtle of the union of the graphs (graph names are lost)."""
    sh = _Shortener()
    merged = {t for triples in graphs.values() for t in triples}
    return "".join([*_header(), *_block(merged, sh, ""), *extra_blocks])


def _jsonld_value(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"@id": str(term)}
    if isinstance(term, BNode):
        return {"@id": f"_:{term}"}
    if isinstance(term, Literal):
        if term.language:
            return {"@value": str(term), "@language": term.language}
        if term.datatype and term.datatype != XSD.string:
            return {"@value": str(term), "@type": str(term.datatype)}
        return {"@value": str(term)}
    raise TypeError(term)


def jsonld(graphs: dict[URIRef, list[Triple]]) -> str:
    """Flattened JSON-LD, graphs and nodes sorted by IRI, full IRIs (no context to resolve)."""
    import json

    doc = []
    for g in sorted(graphs, key=str):
        nodes: dict[str, dict[str, list[dict[str, str]]]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in graphs[g]:
            sid = f"_:{s}" if isinstance(s, BNode) else str(s)
            if p == RDF.type and isinstance(o, URIRef):
                nodes[sid]["@type"].append(str(o))  # type: ignore[arg-type]
            else:
                nodes[sid][str(p)].append(_jsonld_value(o))
        items = []
        for sid in sorted(nodes):
            node: dict[str, object] = {"@id": sid}
            for key in sorted(nodes[sid]):
                values = nodes[sid][key]
                node[key] = sorted(values, key=str)
            items.append(node)
        doc.append({"@id": str(g), "@graph": items})
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
