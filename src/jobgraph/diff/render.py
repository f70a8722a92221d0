"""A diff written out: text, Markdown, JSON, an RDF change set (TriG, in the style of
skos-history: the triples added and removed in each named graph, each set a named graph of its
own, described with prov: metadata) and a CSV map from old codes to new ones."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from dataclasses import asdict

from .. import __version__
from ..namespaces import DCTERMS, JGID, OWL, PROV, RDF, RDFS, SD, SKOSHIST, VOID
from ..terms import escape
from . import DiffResult
from .changes import Change
from .impact import Impact

FORMATS = ("text", "markdown", "json", "trig")
LIMIT = 25  # changes of one kind listed in text and Markdown (JSON lists every one)
TITLES = {
    "referential-added": "referential added", "referential-removed": "referential removed",
    "job-added": "jobs added", "job-removed": "jobs removed",
    "job-relabelled": "jobs relabelled (same id)", "job-relevelled": "jobs re-levelled",
    "job-rescored": "jobs re-scored", "job-moved-family": "jobs moved between families",
    "job-changed": "jobs with other changes", "rome-link-added": "ROME links added",
    "rome-link-removed": "ROME links removed", "rome-link-changed": "ROME links changed",
    "progression-added": "progressions added", "progression-removed": "progressions removed",
    "resource-added": "other resources added", "resource-removed": "other resources removed",
    "resource-changed": "other resources changed",
    "fiche-added": "fiches added", "fiche-removed": "fiches removed",
    "fiche-retitled": "fiches retitled", "fiche-moved-domain": "fiches moved to another domaine",
    "appellation-added": "appellations added", "appellation-removed": "appellations removed",
    "appellation-relabelled": "appellations relabelled",
    "appellation-moved": "appellations moved to another fiche",
    "mobility-added": "mobility edges added", "mobility-removed": "mobility edges removed",
    "esco-link-orphaned": "crosswalk links whose ROME appellation is not in NEW",
    "esco-link-added": "ESCO links added", "esco-link-removed": "ESCO links removed",
    "rome-resources-count": "other ROME resources (count)",
}
_SIGNS = {"added": "+", "removed": "-"}


def _sign(kind: str) -> str:
    return next((s for k, s in _SIGNS.items() if kind.endswith(k)), "~")


def change_line(c: Change) -> str:
    text = f"{_sign(c.kind)} {c.id}"
    if c.label:
        text += f" « {c.label} »"
    if c.old is not None and c.new is not None:
        text += f": {c.old} → {c.new}"
    elif c.new is not None:
        text += f": {c.new}"
    elif c.old is not None:
        text += f": was {c.old}"
    if c.note:
        text += f" ({c.note})"
    if c.source:
        text += f"  {c.source}"
    return text


def impact_line(i: Impact) -> str:
    where = f"{i.source}  " if i.source else ""
    return f"[{i.level.upper()}] {where}{i.subject}: {i.message}"


def _side(s: object) -> str:
    from . import SideInfo

    assert isinstance(s, SideInfo)
    what = []
    if s.referentials:
        what.append(f"{len(s.referentials)} referential(s)")
    if s.rome_version:
        parts = ", ".join(f"{p}{' (partial)' if v == 'partial' else ''}"
                          for p, v in s.rome_parts.items())
        what.append(f"ROME {s.rome_version}" + (f": {parts}" if parts else ""))
    return f"{s.label} ({s.kind}{': ' + '; '.join(what) if what else ''})"


def _grouped(result: DiffResult) -> dict[str, dict[str, list[Change]]]:
    out: dict[str, dict[str, list[Change]]] = defaultdict(lambda: defaultdict(list))
    order = list(TITLES)
    # referentials first, then ROME, then the crosswalk
    for c in sorted(result.changes, key=lambda c: (c.scope in ("rome", "esco"), c.scope == "esco",
                                                    c.scope, order.index(c.kind)
                                                    if c.kind in order else 99)):
        out[c.scope][c.kind].append(c)
    return out


def _scope_title(scope: str, result: DiffResult) -> str:
    if scope == "rome":
        return f"rome ({result.old.rome_version or '?'} → {result.new.rome_version or '?'})"
    return scope


def text(result: DiffResult) -> str:
    lines = ["jobgraph diff", f"  OLD: {_side(result.old)}", f"  NEW: {_side(result.new)}", ""]
    if not result.changes:
        lines += ["No change.", ""]
    for scope, kinds in _grouped(result).items():
        lines.append(f"== {_scope_title(scope, result)}")
        for kind, items in kinds.items():
            lines.append(f"  {TITLES.get(kind, kind)} ({len(items)})")
            lines += [f"    {change_line(c)}" for c in items[:LIMIT]]
            if len(items) > LIMIT:
                lines.append(f"    … {len(items) - LIMIT} more (--format json lists them all)")
        lines.append("")
    lines.append("== impact on the curated data")
    if not result.impacts:
        lines.append("  none")
    order = {"breaks": 0, "changes": 1}
    for i in sorted(result.impacts, key=lambda i: (order[i.level], i.what, i.scope, i.subject)):
        lines.append(f"  {impact_line(i)}")
    lines.append("")
    if result.notes:
        lines.append("Notes:")
        lines += [f"  {n}" for n in result.notes]
        lines.append("")
    summary = "; ".join(f"{scope}: " + ", ".join(f"{n} {TITLES.get(k, k)}"
                                                 for k, n in numbers.items())
                        for scope, numbers in result.counts().items())
    breaks = sum(1 for i in result.impacts if i.level == "breaks")
    lines.append(f"Summary: {summary or 'no change'}; impact: {breaks} break(s), "
                 f"{len(result.impacts) - breaks} change(s)")
    return "\n".join(lines) + "\n"


def _md(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(result: DiffResult) -> str:
    out = ["# jobgraph diff", "", f"- OLD: {_md(_side(result.old))}",
           f"- NEW: {_md(_side(result.new))}", ""]
    counts = result.counts()
    if counts:
        out += ["| scope | change | n |", "| --- | --- | ---: |"]
        for scope, numbers in counts.items():
            out += [f"| {scope} | {TITLES.get(k, k)} | {n} |" for k, n in numbers.items()]
        out.append("")
    for scope, kinds in _grouped(result).items():
        out += [f"## {_md(_scope_title(scope, result))}", ""]
        for kind, items in kinds.items():
            out += [f"### {TITLES.get(kind, kind)} ({len(items)})", ""]
            out += [f"- {_md(change_line(c))}" for c in items[:LIMIT]]
            if len(items) > LIMIT:
                out.append(f"- … {len(items) - LIMIT} more (`--format json` lists them all)")
            out.append("")
    out += ["## Impact on the curated data", ""]
    out += [f"- {_md(impact_line(i))}" for i in result.impacts] or ["None."]
    out.append("")
    if result.notes:
        out += ["## Notes", ""] + [f"- {_md(n)}" for n in result.notes] + [""]
    return "\n".join(out)


def as_json(result: DiffResult) -> str:
    doc = {
        "old": asdict(result.old), "new": asdict(result.new), "counts": result.counts(),
        "changes": [asdict(c) for c in result.changes],
        "impacts": [asdict(i) for i in result.impacts],
        "notes": result.notes,
        "map": [dict(zip(MAP_COLUMNS, row, strict=True)) for row in result.code_map],
        "triples": {g: {"added": len(a), "removed": len(r)}
                    for g, (a, r) in sorted(result.delta.items())},
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def _lit(text: str) -> str:
    return f'"{escape(text)}"'


def trig(result: DiffResult) -> str:
    """The change set as TriG: for each named graph that changed, a graph of the triples to insert
    and one of the triples to delete (skos-history's SchemeDeltaInsertions and
    SchemeDeltaDeletions), and a graph describing the delta (from, to, parts, prov:)."""
    h = hashlib.sha256(f"{result.old.label}\n{result.new.label}\n".encode())
    for g, (added, removed) in sorted(result.delta.items()):
        h.update(g.encode())
        for t in sorted(added):
            h.update(("+" + " ".join(t)).encode())
        for t in sorted(removed):
            h.update(("-" + " ".join(t)).encode())
    delta = f"{JGID}change/{h.hexdigest()[:16]}"
    meta: list[tuple[str, str, str]] = []

    def add(s: str, p: str, o: str) -> None:
        meta.append((f"<{s}>", f"<{p}>", o))

    add(delta, str(RDF.type), f"<{SKOSHIST.SchemeDelta}>")
    add(delta, str(RDF.type), f"<{PROV.Entity}>")
    add(delta, str(DCTERMS.title), _lit(f"jobgraph diff {result.old.label} → {result.new.label}"))
    for end, side, prop in (("old", result.old, SKOSHIST.deltaFrom),
                            ("new", result.new, SKOSHIST.deltaTo)):
        version = f"{delta}/{end}"
        add(delta, str(prop), f"<{version}>")
        add(version, str(RDF.type), f"<{PROV.Entity}>")
        add(version, str(RDFS.label), _lit(side.label))
        if side.rome_version:
            add(version, str(DCTERMS.hasVersion), _lit(f"ROME {side.rome_version}"))
    activity = f"{delta}/activity"
    add(delta, str(PROV.wasGeneratedBy), f"<{activity}>")
    add(activity, str(RDF.type), f"<{PROV.Activity}>")
    add(activity, str(PROV.used), f"<{delta}/old>")
    add(activity, str(PROV.used), f"<{delta}/new>")
    add(activity, str(PROV.wasAssociatedWith), f"<{JGID}software/jobgraph>")
    add(f"{JGID}software/jobgraph", str(OWL.versionInfo), _lit(__version__))
    blocks = []
    for g, (added, removed) in sorted(result.delta.items()):
        name = g.rsplit("/", 1)[-1]
        for what, triples, cls in (("insertions", added, SKOSHIST.SchemeDeltaInsertions),
                                   ("deletions", removed, SKOSHIST.SchemeDeltaDeletions)):
            if not triples:
                continue
            part = f"{delta}/{what}/{name}"
            add(delta, str(DCTERMS.hasPart), f"<{part}>")
            add(part, str(RDF.type), f"<{cls}>")
            add(part, str(DCTERMS.isPartOf), f"<{delta}>")
            add(part, str(PROV.wasDerivedFrom), f"<{g}>")
            add(part, str(VOID.triples), f'"{len(triples)}"^^<http://www.w3.org/2001/XMLSchema#integer>')
            add(part, str(SKOSHIST.usingNamedGraph), f"<{part}#graph>")
            add(f"{part}#graph", str(SD.name), f"<{part}>")
            body = "".join(f"  {s} {p} {o} .\n" for s, p, o in sorted(triples))
            blocks.append(f"<{part}> {{\n{body}}}\n\n")
    head = "".join(f"  {s} {p} {o} .\n" for s, p, o in sorted(meta))
    return f"<{delta}> {{\n{head}}}\n\n" + "".join(blocks)


MAP_COLUMNS = ("kind", "old", "new", "old_label", "new_label", "basis")


def code_map(result: DiffResult) -> str:
    """The CSV map from old codes to new ones (fiches descended from another v3 code, appellations
    under another fiche, jobs in other families)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(MAP_COLUMNS)
    for row in sorted(result.code_map):
        w.writerow(row)
    return buf.getvalue()


def render(result: DiffResult, fmt: str) -> str:
    if fmt == "text":
        return text(result)
    if fmt == "markdown":
        return markdown(result)
    if fmt == "json":
        return as_json(result)
    if fmt == "trig":
        return trig(result)
    raise ValueError(f"unknown diff format {fmt}")


__all__ = ["FORMATS", "MAP_COLUMNS", "code_map", "render"]
