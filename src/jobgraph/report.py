"""Validation reports for data maintainers: text, Markdown, HTML, JSON and SHACL Turtle."""

from __future__ import annotations

import html
import json
from collections import defaultdict
from itertools import groupby

from rdflib import Graph, Literal, URIRef

from .findings import SEVERITIES, SEVERITY_IRI, Finding, ValidationReport
from .namespaces import JG, PREFIXES, RDF, RDFS, SH, SKOS
from .terms import compact, expand

FORMATS = ("text", "markdown", "html", "json", "turtle")
_COLOURS = {"violation": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET = "\033[0m"
_WORDS = {
    "fr": {"violation": "violation", "warning": "avertissement", "info": "info",
           "accepted": "acceptée", "summary": "Résumé", "report": "Rapport de validation jobgraph",
           "conforms": "conforme", "fails": "non conforme", "value": "valeur",
           "expected": "attendu", "rule": "règle", "general": "(ensemble du graphe)",
           "none": "Aucun constat.", "job": "élément", "file": "fichier", "by_rule": "Par règle",
           "severity": "gravité", "referential": "référentiel", "message": "message",
           "all": "tous", "reason": "motif", "path": "propriété", "shown": "lignes affichées"},
    "en": {"violation": "violation", "warning": "warning", "info": "info",
           "accepted": "accepted", "summary": "Summary", "report": "jobgraph validation report",
           "conforms": "conforms", "fails": "does not conform", "value": "value",
           "expected": "expected", "rule": "rule", "general": "(whole graph)",
           "none": "No finding.", "job": "item", "file": "file", "by_rule": "By rule",
           "severity": "severity", "referential": "referential", "message": "message",
           "all": "all", "reason": "reason", "path": "property", "shown": "rows shown"},
}


def _grouped(report: ValidationReport) -> list[tuple[str, list[tuple[str, list[Finding]]]]]:
    out = []
    findings = sorted(report.findings, key=Finding.sort_key)
    for ref, by_ref in groupby(findings, key=lambda f: f.referential or ""):
        jobs = [(focus, list(items)) for focus, items in groupby(by_ref, key=lambda f: f.focus or "")]
        out.append((ref, jobs))
    return out


def _summary_line(report: ValidationReport, lang: str, fail_on: str) -> str:
    w = _WORDS[lang]
    c = report.counts()
    state = w["conforms"] if report.conforms(fail_on) else w["fails"]
    return (f"{state}: {c['violation']} {w['violation']}(s), {c['warning']} {w['warning']}(s), "
            f"{c['info']} {w['info']}, {c['accepted']} {w['accepted']}(s)")


def text(report: ValidationReport, *, lang: str = "fr", colour: bool = False,
         fail_on: str = "violation") -> str:
    """Terminal report, grouped by referential then job, one finding a line with its file:line."""
    w = _WORDS[lang]
    lines = [w["report"], ""]
    if not report.findings:
        lines.append(w["none"])
    for ref, jobs in _grouped(report):
        lines.append(f"== {ref or w['general']}")
        for focus, items in jobs:
            head = items[0]
            name = head.label or compact(focus) or w["general"]
            lines.append(f"  {name}  <{compact(focus) or ''}>" if focus else f"  {name}")
            for f in items:
                sev = w[f.severity]
                tag = f"[{sev.upper()}]"
                if colour:
                    tag = f"{_COLOURS[f.severity]}{tag}{_RESET}"
                where = f"{f.source} " if f.source else ""
                lines.append(f"    {tag} {where}{f.text(lang)}")
                details = []
                if f.path:
                    details.append(f"{w['path']}: {f.path}")
                if f.value is not None:
                    details.append(f"{w['value']}: {f.value}")
                if f.expected:
                    details.append(f"{w['expected']}: {f.expected}")
                details.append(f"{w['rule']}: {f.rule}")
                lines.append("        " + " · ".join(details))
                if f.accepted:
                    lines.append(f"        {w['accepted']} — {w['reason']}: {f.accepted}")
        lines.append("")
    lines.append(f"{w['summary']}: {_summary_line(report, lang, fail_on)}")
    for note in report.notes:
        lines.append(f"  {note}")
    return "\n".join(lines) + "\n"


def _md_cell(value: str | None) -> str:
    return (value or "").replace("|", "\\|").replace("\n", " ")


def markdown(report: ValidationReport, *, lang: str = "fr", fail_on: str = "violation") -> str:
    w = _WORDS[lang]
    out = [f"# {w['report']}", "", f"**{w['summary']}**: {_summary_line(report, lang, fail_on)}", ""]
    rules = report.per_rule()
    if rules:
        out += [f"| {w['rule']} | n |", "| --- | ---: |"]
        out += [f"| `{_md_cell(r)}` | {n} |" for r, n in rules.items()]
        out.append("")
    if not report.findings:
        out.append(w["none"])
    for ref, jobs in _grouped(report):
        out += [f"## {ref or w['general']}", ""]
        for focus, items in jobs:
            head = items[0]
            out += [f"### {_md_cell(head.label or compact(focus) or w['general'])}"
                    + (f" (`{_md_cell(compact(focus))}`)" if focus else ""), ""]
            out += [f"| {w['severity']} | {w['file']} | {w['message']} | {w['value']} | "
                    f"{w['expected']} | {w['rule']} |", "| --- | --- | --- | --- | --- | --- |"]
            for f in items:
                sev = w[f.severity] + (f" ({w['accepted']}: {f.accepted})" if f.accepted else "")
                out.append(f"| {_md_cell(sev)} | `{_md_cell(f.source)}` | {_md_cell(f.text(lang))} | "
                           f"{_md_cell(f.value)} | {_md_cell(f.expected)} | `{_md_cell(f.rule)}` |")
            out.append("")
    for note in report.notes:
        out.append(f"- {note}")
    return "\n".join(out) + "\n"


def as_json(report: ValidationReport, *, lang: str = "fr", fail_on: str = "violation") -> str:
    return json.dumps(report.to_json(lang, fail_on), ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def report_graph(report: ValidationReport) -> Graph:
    """The findings as a SHACL ``sh:ValidationReport`` graph (messages in French and English)."""
    g = Graph()
    for p, ns in PREFIXES.items():
        g.bind(p, ns)
    root = URIRef("urn:jobgraph:validation-report")
    g.add((root, RDF.type, SH.ValidationReport))
    g.add((root, SH.conforms, Literal(report.conforms())))
    for i, f in enumerate(sorted(report.findings, key=Finding.sort_key)):
        r = URIRef(f"urn:jobgraph:validation-result:{i + 1}")
        g.add((root, SH.result, r))
        g.add((r, RDF.type, SH.ValidationResult))
        g.add((r, SH.resultSeverity, SEVERITY_IRI[f.severity]))
        if f.focus:
            g.add((r, SH.focusNode, URIRef(f.focus)))
        if f.path and expand(f.path) != f.path:
            g.add((r, SH.resultPath, URIRef(expand(f.path))))
        if f.value is not None:
            g.add((r, SH.value, Literal(f.value)))
        if f.rule.startswith("jgsh:"):
            g.add((r, SH.sourceShape, URIRef(expand(f.rule))))
        g.add((r, SH.resultMessage, Literal(f.message, lang="fr")))
        g.add((r, SH.resultMessage, Literal(f.message_en, lang="en")))
        g.add((r, RDFS.comment, Literal(f"rule {f.rule}")))
        if f.source:
            g.add((r, JG.sourceLocation, Literal(f.source)))
        if f.label:
            g.add((r, SKOS.prefLabel, Literal(f.label, lang="fr")))
        if f.accepted:
            g.add((r, SKOS.editorialNote, Literal(f"accepted: {f.accepted}")))
    return g


def turtle(report: ValidationReport) -> str:
    return report_graph(report).serialize(format="turtle")


_HTML_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.4rem} table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0} .violation{color:#b00020;font-weight:600} .warning{color:#a15c00}
.info{color:#006a8a} .accepted{opacity:.7} .filters label{margin-right:1rem}
.summary td,.summary th{width:auto} code{font-size:.85em}
"""

_HTML_SCRIPT = """
function applyFilters(){
  var sev=document.getElementById('f-severity').value,
      ref=document.getElementById('f-referential').value,
      rule=document.getElementById('f-rule').value, shown=0;
  document.querySelectorAll('#findings tbody tr').forEach(function(tr){
    var ok=(!sev||tr.dataset.severity===sev)&&(!ref||tr.dataset.referential===ref)&&(!rule||tr.dataset.rule===rule);
    tr.style.display=ok?'':'none'; if(ok){shown++;}
  });
  document.getElementById('shown').textContent=shown;
}
document.querySelectorAll('.filters select').forEach(function(s){s.addEventListener('change',applyFilters);});
// a link may preset the filters: report.html#severity=warning&referential=cci-2015
new URLSearchParams(location.hash.slice(1)).forEach(function(v,k){
  var s=document.getElementById('f-'+k); if(s){s.value=v;}
});
applyFilters();
"""


def _options(values: list[str], all_word: str) -> str:
    opts = [f'<option value="">{html.escape(all_word)}</option>']
    opts += [f'<option value="{html.escape(v)}">{html.escape(v)}</option>' for v in values]
    return "".join(opts)


def as_html(report: ValidationReport, *, lang: str = "fr", fail_on: str = "violation") -> str:
    """One self-contained page: summary on top, a table filterable by severity, referential, rule."""
    w = _WORDS[lang]
    e = html.escape
    counts = report.counts()
    findings = sorted(report.findings, key=Finding.sort_key)
    refs = sorted({f.referential or "" for f in findings})
    rules = sorted({f.rule for f in findings})
    per_ref: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    for f in findings:
        if not f.accepted:
            per_ref[f.referential or ""][f.severity] += 1
    rows = []
    for f in findings:
        sev = w[f.severity]
        acc = f'<br><span class="accepted">{e(w["accepted"])}: {e(f.accepted)}</span>' if f.accepted else ""
        rows.append(
            f'<tr data-severity="{e(f.severity)}" data-referential="{e(f.referential or "")}" '
            f'data-rule="{e(f.rule)}" class="{"accepted" if f.accepted else ""}">'
            f'<td class="{e(f.severity)}">{e(sev)}{acc}</td><td>{e(f.referential or "")}</td>'
            f'<td>{e(f.label or "")}<br><code>{e(compact(f.focus) or "")}</code></td>'
            f'<td>{e(f.text(lang))}</td><td><code>{e(f.path or "")}</code></td>'
            f'<td>{e(f.value or "")}</td><td>{e(f.expected or "")}</td>'
            f'<td><code>{e(f.rule)}</code></td><td><code>{e(f.source or "")}</code></td></tr>')
    summary_rows = "".join(
        f"<tr><td>{e(r or w['general'])}</td>" + "".join(f"<td>{c[s]}</td>" for s in SEVERITIES) + "</tr>"
        for r, c in sorted(per_ref.items()))
    head = "".join(f"<th>{e(w[s])}</th>" for s in SEVERITIES)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(w['report'])}</title><style>{_HTML_STYLE}</style></head>
<body>
<h1>{e(w['report'])}</h1>
<p id="summary"><strong>{e(w['summary'])}</strong>: {e(_summary_line(report, lang, fail_on))}</p>
<table class="summary" id="summary-table"><thead><tr><th>{e(w['referential'])}</th>{head}</tr></thead>
<tbody>{summary_rows}</tbody></table>
<p class="filters">
<label>{e(w['severity'])} <select id="f-severity">{_options(list(SEVERITIES), w['all'])}</select></label>
<label>{e(w['referential'])} <select id="f-referential">{_options(refs, w['all'])}</select></label>
<label>{e(w['rule'])} <select id="f-rule">{_options(rules, w['all'])}</select></label>
<span><span id="shown">{len(rows)}</span> {e(w['shown'])}</span></p>
<table id="findings"><thead><tr><th>{e(w['severity'])}</th><th>{e(w['referential'])}</th>
<th>{e(w['job'])}</th><th>{e(w['message'])}</th><th>{e(w['path'])}</th><th>{e(w['value'])}</th>
<th>{e(w['expected'])}</th><th>{e(w['rule'])}</th><th>{e(w['file'])}</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<p>{'<br>'.join(e(n) for n in report.notes)}</p>
<p>{counts['violation']} / {counts['warning']} / {counts['info']}</p>
<script>{_HTML_SCRIPT}</script>
</body></html>
"""


def render(report: ValidationReport, fmt: str, *, lang: str = "fr", colour: bool = False,
           fail_on: str = "violation") -> str:
    if fmt == "text":
        return text(report, lang=lang, colour=colour, fail_on=fail_on)
    if fmt == "markdown":
        return markdown(report, lang=lang, fail_on=fail_on)
    if fmt == "html":
        return as_html(report, lang=lang, fail_on=fail_on)
    if fmt == "json":
        return as_json(report, lang=lang, fail_on=fail_on)
    if fmt == "turtle":
        return turtle(report)
    raise ValueError(f"unknown report format {fmt}")
