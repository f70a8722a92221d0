"""Validation reports for data maintainers: text, Markdown, HTML, JSON and SHACL Turtle.

Text and Markdown are quiet: the findings to fix are listed, the accepted ones (caused by the
source documents, acknowledged in data/<id>/accepted-findings.yaml) are counted, one line per
referential and rule, unless ``show_accepted``. HTML, JSON and Turtle hold every finding.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from itertools import groupby

from rdflib import Graph, Literal, URIRef

from .findings import (
    SEVERITIES,
    SEVERITY_IRI,
    UNSTATED,
    AcceptedCount,
    Finding,
    ValidationReport,
    note_text,
)
from .namespaces import JG, PREFIXES, RDF, RDFS, SH, SKOS
from .terms import compact, expand

FORMATS = ("text", "markdown", "html", "json", "turtle")
_COLOURS = {"violation": "\033[31m", "warning": "\033[33m", "info": "\033[36m",
            "accepted": "\033[2m"}
_RESET = "\033[0m"
_WORDS = {
    "fr": {"violation": "violation", "warning": "avertissement", "info": "info",
           "accepted": "acceptée", "summary": "Résumé", "report": "Rapport de validation jobgraph",
           "conforms": "conforme", "fails": "non conforme", "value": "valeur",
           "expected": "attendu", "rule": "règle", "general": "(ensemble du graphe)",
           "none": "Aucun constat.", "job": "élément", "file": "fichier", "by_rule": "Par règle",
           "severity": "gravité", "referential": "référentiel", "message": "message",
           "all": "tous", "reason": "motif", "path": "propriété", "shown": "lignes affichées",
           "to_fix": "À corriger", "nothing_to_fix": "Rien à corriger.",
           "accepted_head": "Constats acceptés ({n}, causés par les documents sources{hint})",
           "accepted_hint": " ; --show-accepted pour les lister",
           "accepted_list": "Constats acceptés ({n}, causés par les documents sources)",
           "count_one": "1 accepté", "count_many": "{n} acceptés",
           "count_items": "{n} acceptés sur {k} éléments",
           "status": "état", "status_fix": "à corriger", "status_accepted": "acceptés",
           "details": "détails", "total": "total", "lang_en": "motif rédigé en anglais seulement",
           "lang_fr": "motif rédigé en français seulement",
           "lang_unstated": "motif rédigé dans une seule langue, non précisée",
           "notes": "Notes"},
    "en": {"violation": "violation", "warning": "warning", "info": "info",
           "accepted": "accepted", "summary": "Summary", "report": "jobgraph validation report",
           "conforms": "conforms", "fails": "does not conform", "value": "value",
           "expected": "expected", "rule": "rule", "general": "(whole graph)",
           "none": "No finding.", "job": "item", "file": "file", "by_rule": "By rule",
           "severity": "severity", "referential": "referential", "message": "message",
           "all": "all", "reason": "reason", "path": "property", "shown": "rows shown",
           "to_fix": "To fix", "nothing_to_fix": "Nothing to fix.",
           "accepted_head": "Accepted findings ({n}, caused by the source documents{hint})",
           "accepted_hint": "; --show-accepted lists them",
           "accepted_list": "Accepted findings ({n}, caused by the source documents)",
           "count_one": "1 accepted", "count_many": "{n} accepted",
           "count_items": "{n} accepted on {k} items",
           "status": "status", "status_fix": "to fix", "status_accepted": "accepted",
           "details": "details", "total": "total", "lang_en": "reason written in English only",
           "lang_fr": "reason written in French only",
           "lang_unstated": "reason written in one language, not stated",
           "notes": "Notes"},
}


def _sep(lang: str) -> str:
    """The colon of a label: spaced in French typography."""
    return " : " if lang == "fr" else ": "


def _grouped(findings: list[Finding]) -> list[tuple[str, list[tuple[str, list[Finding]]]]]:
    out = []
    for ref, by_ref in groupby(sorted(findings, key=Finding.sort_key),
                               key=lambda f: f.referential or ""):
        jobs = [(focus, list(items))
                for focus, items in groupby(by_ref, key=lambda f: f.focus or "")]
        out.append((ref, jobs))
    return out


def _summary_line(report: ValidationReport, lang: str, fail_on: str) -> str:
    w = _WORDS[lang]
    c = report.counts()
    state = w["conforms"] if report.conforms(fail_on) else w["fails"]
    sep = _sep(lang)
    return (f"{state}{sep}{c['violation']} {w['violation']}(s), {c['warning']} {w['warning']}(s), "
            f"{c['info']} {w['info']}, {c['accepted']} {w['accepted']}(s)")


def reason_text(f: Finding, lang: str) -> str | None:
    """The acceptance reason in ``lang``, marked when it is written in one other language only."""
    reason, written_in = f.reason(lang)
    if reason is None:
        return None
    if written_in is None:
        return reason
    w = _WORDS[lang]
    mark = w["lang_unstated"] if written_in == UNSTATED else w[f"lang_{written_in}"]
    return f"{reason} [{mark}]"


def count_line(c: AcceptedCount, lang: str) -> str:
    """One line of the quiet report: the accepted findings of a rule in a referential."""
    w = _WORDS[lang]
    if c.findings != c.items:
        n = w["count_items"].format(n=c.findings, k=c.items)
    else:
        n = w["count_one"] if c.findings == 1 else w["count_many"].format(n=c.findings)
    sep = _sep(lang)
    if len(c.causes) == 1 and sum(c.causes.values()) == c.items:
        causes = next(iter(c.causes))  # one cause for all: no count to repeat
    else:
        causes = "; ".join(f"{cause}{sep}{k}" for cause, k in c.causes.items())
    line = f"{c.referential or w['general']} · {c.rule}{sep}{n}"
    return f"{line} ({causes})" if causes else line


def _details(f: Finding, lang: str) -> list[str]:
    w = _WORDS[lang]
    out = []
    if f.path:
        out.append(f"{w['path']}: {f.path}")
    if f.value is not None:
        out.append(f"{w['value']}: {f.value}")
    expected = f.expected_text(lang)
    if expected:
        out.append(f"{w['expected']}: {expected}")
    out.append(f"{w['rule']}: {f.rule}")
    return out


def _text_listing(findings: list[Finding], lang: str, colour: bool) -> list[str]:
    w = _WORDS[lang]
    lines = []
    for ref, jobs in _grouped(findings):
        lines.append(f"== {ref or w['general']}")
        for focus, items in jobs:
            head = items[0]
            name = head.label or compact(focus) or w["general"]
            lines.append(f"  {name}  <{compact(focus) or ''}>" if focus else f"  {name}")
            for f in items:
                tag = f"[{w[f.severity].upper()}]"
                if colour:
                    tag = f"{_COLOURS['accepted' if f.accepted else f.severity]}{tag}{_RESET}"
                where = f"{f.source} " if f.source else ""
                lines.append(f"    {tag} {where}{f.text(lang)}")
                lines.append("        " + " · ".join(_details(f, lang)))
                if f.accepted:
                    lines.append(f"        {w['accepted']} — {w['reason']}: {reason_text(f, lang)}")
        lines.append("")
    return lines


def text(report: ValidationReport, *, lang: str = "fr", colour: bool = False,
         fail_on: str = "violation", show_accepted: bool = False) -> str:
    """Terminal report: the findings to fix grouped by referential then item, each with its
    file:line; the accepted ones counted per referential and rule (listed with
    ``show_accepted``)."""
    w = _WORDS[lang]
    lines = [w["report"], ""]
    if not report.findings:
        lines += [w["none"], ""]
    to_fix = report.to_fix()
    accepted = [f for f in report.findings if f.accepted]
    if to_fix:
        lines += [f"{w['to_fix']} ({len(to_fix)})", ""]
        lines += _text_listing(to_fix, lang, colour)
    elif report.findings:
        lines += [w["nothing_to_fix"], ""]
    if accepted and show_accepted:
        lines += [w["accepted_list"].format(n=len(accepted)), ""]
        lines += _text_listing(accepted, lang, colour)
    elif accepted:
        lines.append(w["accepted_head"].format(n=len(accepted), hint=w["accepted_hint"]))
        lines += [f"  {count_line(c, lang)}" for c in report.accepted_counts(lang)]
        lines.append("")
    sep = _sep(lang)
    lines.append(f"{w['summary']}{sep}{_summary_line(report, lang, fail_on)}")
    for note in report.notes:
        lines.append(f"  {note_text(note, lang)}")
    return "\n".join(lines) + "\n"


def _md_cell(value: str | None) -> str:
    return (value or "").replace("|", "\\|").replace("\n", " ")


def _md_listing(findings: list[Finding], lang: str) -> list[str]:
    w = _WORDS[lang]
    out = []
    for ref, jobs in _grouped(findings):
        out += [f"### {ref or w['general']}", ""]
        for focus, items in jobs:
            head = items[0]
            out += [f"#### {_md_cell(head.label or compact(focus) or w['general'])}"
                    + (f" (`{_md_cell(compact(focus))}`)" if focus else ""), ""]
            out += [f"| {w['severity']} | {w['file']} | {w['message']} | {w['value']} | "
                    f"{w['expected']} | {w['rule']} |", "| --- | --- | --- | --- | --- | --- |"]
            for f in items:
                sev = w[f.severity] + (f" ({w['accepted']}: {reason_text(f, lang)})"
                                       if f.accepted else "")
                out.append(f"| {_md_cell(sev)} | `{_md_cell(f.source)}` | "
                           f"{_md_cell(f.text(lang))} | {_md_cell(f.value)} | "
                           f"{_md_cell(f.expected_text(lang))} | `{_md_cell(f.rule)}` |")
            out.append("")
    return out


def markdown(report: ValidationReport, *, lang: str = "fr", fail_on: str = "violation",
             show_accepted: bool = False) -> str:
    w = _WORDS[lang]
    sep = _sep(lang)
    out = [f"# {w['report']}", "",
           f"**{w['summary']}**{sep}{_summary_line(report, lang, fail_on)}", ""]
    rules = report.per_rule()
    if rules:
        out += [f"| {w['rule']} | n |", "| --- | ---: |"]
        out += [f"| `{_md_cell(r)}` | {n} |" for r, n in rules.items()]
        out.append("")
    if not report.findings:
        out += [w["none"], ""]
    to_fix = report.to_fix()
    accepted = [f for f in report.findings if f.accepted]
    out += [f"## {w['to_fix']} ({len(to_fix)})", ""]
    out += _md_listing(to_fix, lang) if to_fix else [w["nothing_to_fix"], ""]
    if accepted:
        out += [f"## {w['accepted_list'].format(n=len(accepted))}", ""]
        if show_accepted:
            out += _md_listing(accepted, lang)
        else:
            out += [f"- {_md_cell(count_line(c, lang))}" for c in report.accepted_counts(lang)]
            out += ["", f"*{w['accepted_hint'].strip(' ;').strip()}*", ""]
    for note in report.notes:
        out.append(f"- {note_text(note, lang)}")
    return "\n".join(out) + "\n"


def as_json(report: ValidationReport, *, lang: str = "fr", fail_on: str = "violation") -> str:
    return json.dumps(report.to_json(lang, fail_on), ensure_ascii=False, indent=1,
                      sort_keys=False) + "\n"


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
            for lang_key, reason in sorted(f.reasons.items()) or [(UNSTATED, f.accepted)]:
                prefix = {"fr": "acceptée : ", "en": "accepted: "}.get(lang_key, "accepted: ")
                g.add((r, SKOS.editorialNote,
                       Literal(prefix + reason, lang=lang_key or None)))
    return g


def turtle(report: ValidationReport) -> str:
    return report_graph(report).serialize(format="turtle")


_HTML_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;max-width:110rem}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}
#findings{width:100%;table-layout:fixed}
#findings td{overflow-wrap:anywhere;word-break:break-word}
#findings col.c-status{width:9rem} #findings col.c-ref{width:9rem} #findings col.c-item{width:14%}
#findings col.c-file{width:13rem} #findings col.c-details{width:21%}
.summary .n{text-align:right;min-width:4rem}
.violation{color:#b00020;font-weight:600} .warning{color:#8a4b00;font-weight:600}
.info{color:#006a8a}
tr.accepted td{background:#f4f7f4;color:#4a4f4a}
tr.accepted .badge{display:inline-block;border:1px solid #6b8f6b;border-radius:.7rem;
  padding:0 .45rem;color:#2f5f2f;background:#e6f0e6;font-weight:500}
tr.accepted .was{display:block;font-size:.8rem;color:#6a6a6a;font-weight:400}
.reason{display:block;margin-top:.25rem;font-size:.85rem;color:#2f5f2f}
.details{margin:0;padding:0;list-style:none;font-size:.85rem}
.filters label{margin-right:1rem} code{font-size:.85em}
"""

_HTML_SCRIPT = """
function applyFilters(){
  var sev=document.getElementById('f-severity').value,
      ref=document.getElementById('f-referential').value,
      rule=document.getElementById('f-rule').value,
      status=document.getElementById('f-status').value, shown=0;
  document.querySelectorAll('#findings tbody tr').forEach(function(tr){
    var ok=(!sev||tr.dataset.severity===sev)&&(!ref||tr.dataset.referential===ref)
      &&(!rule||tr.dataset.rule===rule)&&(!status||tr.dataset.status===status);
    tr.style.display=ok?'':'none'; if(ok){shown++;}
  });
  document.getElementById('shown').textContent=shown;
}
document.querySelectorAll('.filters select').forEach(function(s){
  s.addEventListener('change',applyFilters);
});
// a link may preset the filters: report.html#status=fix&referential=cci-2015
new URLSearchParams(location.hash.slice(1)).forEach(function(v,k){
  var s=document.getElementById('f-'+k); if(s){s.value=v;}
});
applyFilters();
"""


def _options(values: list[tuple[str, str]], all_word: str) -> str:
    opts = [f'<option value="">{html.escape(all_word)}</option>']
    opts += [f'<option value="{html.escape(v)}">{html.escape(label)}</option>'
             for v, label in values]
    return "".join(opts)


def _html_row(f: Finding, lang: str) -> str:
    w = _WORDS[lang]
    e = html.escape
    if f.accepted:
        status = (f'<span class="badge">{e(w["accepted"])}</span>'
                  f'<span class="was">{e(w[f.severity])}</span>')
        reason = (f'<span class="reason">{e(w["reason"])}{_sep(lang)}'
                  f'{e(reason_text(f, lang) or "")}</span>')
    else:
        status, reason = f'<span class="{e(f.severity)}">{e(w[f.severity])}</span>', ""
    details = "".join(f"<li>{e(d)}</li>" for d in _details(f, lang))
    return (f'<tr data-severity="{e(f.severity)}" data-referential="{e(f.referential or "")}" '
            f'data-rule="{e(f.rule)}" data-status="{"accepted" if f.accepted else "fix"}" '
            f'class="{"accepted" if f.accepted else "fix"}">'
            f'<td>{status}</td><td>{e(f.referential or "")}</td>'
            f'<td>{e(f.label or "")}<br><code>{_breakable(compact(f.focus))}</code></td>'
            f'<td>{e(f.text(lang))}{reason}</td><td><ul class="details">{details}</ul></td>'
            f'<td><code>{_breakable(f.source)}</code></td></tr>')


def _breakable(path: str | None) -> str:
    """A path or IRI escaped, with a line-break opportunity after each '/' (a narrow column then
    breaks it between its parts, not inside a word)."""
    return html.escape(path or "").replace("/", "/<wbr>")


def as_html(report: ValidationReport, *, lang: str = "fr", fail_on: str = "violation") -> str:
    """One self-contained page: a summary per referential (to fix by severity, accepted), then a
    table of every finding filterable by status, severity, referential and rule; accepted findings
    are shown as acknowledged, not as errors."""
    w = _WORDS[lang]
    e = html.escape
    findings = sorted(report.findings, key=Finding.sort_key)
    refs = sorted({f.referential or "" for f in findings})
    rules = sorted({f.rule for f in findings})
    per_ref: dict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys((*SEVERITIES, "accepted"), 0))
    for f in findings:
        per_ref[f.referential or ""]["accepted" if f.accepted else f.severity] += 1
    totals = dict.fromkeys((*SEVERITIES, "accepted"), 0)
    for c in per_ref.values():
        for k, n in c.items():
            totals[k] += n
    columns = (*SEVERITIES, "accepted")
    summary_rows = "".join(
        f"<tr><td>{e(r or w['general'])}</td>"
        + "".join(f'<td class="n">{c[s]}</td>' for s in columns) + "</tr>"
        for r, c in sorted(per_ref.items()))
    summary_rows += (f"<tr><th>{e(w['total'])}</th>"
                     + "".join(f'<th class="n">{totals[s]}</th>' for s in columns) + "</tr>")
    head = "".join(f"<th>{e(w[s])}</th>" for s in SEVERITIES) + f"<th>{e(w['accepted'])}</th>"
    # what to fix first, then what is acknowledged
    rows = [_html_row(f, lang) for f in sorted(findings, key=lambda f: (bool(f.accepted),
                                                                         f.sort_key()))]
    accepted_lines = "".join(f"<li>{e(count_line(c, lang))}</li>"
                             for c in report.accepted_counts(lang))
    statuses = [("fix", w["status_fix"]), ("accepted", w["status_accepted"])]
    filters = "\n".join(
        f'<label>{e(w[word])} <select id="f-{key}">{_options(values, w["all"])}</select></label>'
        for key, word, values in (
            ("status", "status", statuses),
            ("severity", "severity", [(s, w[s]) for s in SEVERITIES]),
            ("referential", "referential", [(r, r) for r in refs]),
            ("rule", "rule", [(r, r) for r in rules])))
    notes = "".join(f"<li>{e(note_text(n, lang))}</li>" for n in report.notes)
    summary = _summary_line(report, lang, fail_on)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(w['report'])}</title><style>{_HTML_STYLE}</style></head>
<body>
<h1>{e(w['report'])}</h1>
<p id="summary"><strong>{e(w['summary'])}</strong>{_sep(lang)}{e(summary)}</p>
<table class="summary" id="summary-table"><thead><tr><th>{e(w['referential'])}</th>{head}</tr>
</thead><tbody>{summary_rows}</tbody></table>
<ul id="accepted-counts">{accepted_lines}</ul>
<p class="filters">
{filters}
<span><span id="shown">{len(rows)}</span> {e(w['shown'])}</span></p>
<table id="findings"><colgroup><col class="c-status"><col class="c-ref"><col class="c-item">
<col class="c-message"><col class="c-details"><col class="c-file"></colgroup>
<thead><tr><th>{e(w['status'])}</th><th>{e(w['referential'])}</th><th>{e(w['job'])}</th>
<th>{e(w['message'])}</th><th>{e(w['details'])}</th><th>{e(w['file'])}</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<h2>{e(w['notes'])}</h2><ul id="notes">{notes}</ul>
<script>{_HTML_SCRIPT}</script>
</body></html>
"""


def render(report: ValidationReport, fmt: str, *, lang: str = "fr", colour: bool = False,
           fail_on: str = "violation", show_accepted: bool = False) -> str:
    if fmt == "text":
        return text(report, lang=lang, colour=colour, fail_on=fail_on,
                    show_accepted=show_accepted)
    if fmt == "markdown":
        return markdown(report, lang=lang, fail_on=fail_on, show_accepted=show_accepted)
    if fmt == "html":
        return as_html(report, lang=lang, fail_on=fail_on)
    if fmt == "json":
        return as_json(report, lang=lang, fail_on=fail_on)
    if fmt == "turtle":
        return turtle(report)
    raise ValueError(f"unknown report format {fmt}")
