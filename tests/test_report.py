"""Report formats: a quiet text report (accepted findings counted), Markdown, JSON, SHACL Turtle,
texts in the report's language, and HTML rendered in Chromium (filters, layout)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import Graph, Literal

from jobgraph.findings import Finding, Note, ValidationReport
from jobgraph.namespaces import SH, SKOS
from jobgraph.report import render

BASE = "https://w3id.org/jobgraph/id/"


def _finding(sev: str, ref: str, focus: str, rule: str, *, value: str = "0",
             reasons: dict[str, str] | None = None, cause: dict[str, str] | None = None,
             kind: str = "job") -> Finding:
    f = Finding(severity=sev, rule=rule, rule_name=rule, message=f"message {rule} « fr »",
                message_en=f"message {rule} en", focus=f"{BASE}{ref}/{kind}/{focus}",
                label=focus.title(), path="jg:level", value=value, expected="exactement un",
                expected_en="exactly one", source=f"data/{ref}/jobs.yaml:12", referential=ref)
    if reasons is not None:
        f.accept(reasons, cause)
    return f


CUT = {"fr": "fiche interrompue", "en": "record cut short"}


def _report() -> ValidationReport:
    return ValidationReport(findings=[
        _finding("violation", "cci-2015", "auditeur", "jgsh:JobShape-level",
                 reasons={"fr": "coupée court", "en": "cut short"}, cause=CUT),
        # one entry accepts the five scores of a job: five findings on one item
        *[_finding("violation", "cci-2015", "auditeur", "jgsh:JobShape-scores", value=str(i),
                   reasons={"en": "no score printed"}, cause=CUT) for i in range(5)],
        _finding("violation", "cci-2015", "conseiller", "jgsh:JobShape-scores",
                 reasons={"": "no score printed either"}, cause=CUT),
        _finding("violation", "cci-2015", "juriste", "jgsh:JobShape-band"),
        _finding("warning", "missions-locales", "directeur", "jgsh:JobShape-requiresNew"),
        _finding("info", "informatique", "chef-de-projet", "jgsh:RomeLinkShape-legacy"),
    ], notes=[Note("OWL check skipped", "contrôle OWL non fait")])


def test_text_lists_what_to_fix_and_counts_the_accepted() -> None:
    out = render(_report(), "text")
    assert out.index("À corriger (3)") < out.index("== cci-2015") < out.index("  Juriste") < \
        out.index("== informatique") < out.index("== missions-locales")
    assert "[VIOLATION] data/cci-2015/jobs.yaml:12 message jgsh:JobShape-band « fr »" in out
    # accepted: counted, one line per referential and rule, never listed
    assert "Auditeur" not in out and "coupée court" not in out
    assert "Constats acceptés (7, causés par les documents sources ; --show-accepted" in out
    assert "  cci-2015 · jgsh:JobShape-level : 1 accepté (fiche interrompue)" in out
    assert "  cci-2015 · jgsh:JobShape-scores : 6 acceptés sur 2 éléments " \
           "(fiche interrompue)" in out
    assert "1 violation(s), 1 avertissement(s), 1 info, 7 acceptée(s)" in out
    assert out.rstrip().endswith("contrôle OWL non fait")
    assert "\033[" not in out
    assert "\033[31m" in render(_report(), "text", colour=True)


def test_text_in_english_has_no_french_text_of_ours() -> None:
    out = render(_report(), "text", lang="en")
    assert "message jgsh:JobShape-band en" in out and "« fr »" not in out
    assert "expected: exactly one" in out and "exactement" not in out
    assert "cci-2015 · jgsh:JobShape-scores: 6 accepted on 2 items (record cut short)" in out
    assert out.rstrip().endswith("OWL check skipped")


def test_show_accepted_lists_them_with_reasons_in_the_report_language() -> None:
    fr = render(_report(), "text", show_accepted=True)
    assert "Constats acceptés (7, causés par les documents sources)" in fr
    assert "acceptée — motif: coupée court" in fr
    # a reason written in English only, or without saying its language, is marked so
    assert "motif: no score printed [motif rédigé en anglais seulement]" in fr
    assert "motif: no score printed either [motif rédigé dans une seule langue, non précisée]" in fr
    en = render(_report(), "text", lang="en", show_accepted=True)
    assert "accepted — reason: cut short" in en and "coupée" not in en
    assert "reason: no score printed\n" in en  # English asked, English written: no mark
    assert en.count("[VIOLATION]") == 8


def test_markdown_quiet_and_listed() -> None:
    md = render(_report(), "markdown", lang="en")
    assert "## To fix (3)" in md and "### cci-2015" in md and "| `jgsh:JobShape-band` | 1 |" in md
    assert "- cci-2015 · jgsh:JobShape-scores: 6 accepted on 2 items (record cut short)" in md
    assert "Auditeur" not in md
    listed = render(_report(), "markdown", lang="en", show_accepted=True)
    assert "#### Auditeur" in listed and "accepted: cut short" in listed


def test_json_has_every_finding_in_the_report_language() -> None:
    doc = json.loads(render(_report(), "json"))
    assert doc["conforms"] is False
    assert doc["summary"]["counts"] == {"violation": 1, "warning": 1, "info": 1, "accepted": 7}
    assert len(doc["findings"]) == 10
    first = doc["findings"][0]
    assert set(first) >= {"severity", "message", "focus", "label", "path", "value", "expected",
                          "rule", "source", "referential", "accepted"}
    assert first["source"] == "data/cci-2015/jobs.yaml:12" and first["expected"] == "exactement un"
    by_key = {(f["focus"].rsplit("/", 1)[1], f["rule"], f["value"]): f for f in doc["findings"]}
    english_only = by_key[("auditeur", "jgsh:JobShape-scores", "0")]
    assert english_only["accepted"] == "no score printed" and english_only["accepted_lang"] == "en"
    unstated = by_key[("conseiller", "jgsh:JobShape-scores", "0")]
    assert unstated["accepted_lang"] is None
    assert "accepted_lang" not in by_key[("auditeur", "jgsh:JobShape-level", "0")]
    assert {"referential": "cci-2015", "rule": "jgsh:JobShape-scores", "findings": 6, "items": 2,
            "causes": {"fiche interrompue": 2}} in doc["summary"]["accepted"]
    assert doc["summary"]["notes"] == ["contrôle OWL non fait"]
    en = json.loads(render(_report(), "json", lang="en"))
    assert en["findings"][0]["expected"] == "exactly one"
    assert en["summary"]["notes"] == ["OWL check skipped"]


def test_turtle_is_a_shacl_validation_report_with_reasons_by_language() -> None:
    g = Graph().parse(data=render(_report(), "turtle"), format="turtle")
    results = list(g.subjects(None, SH.ValidationResult))
    assert len(results) == 10
    report = next(g.subjects(None, SH.ValidationReport))
    assert str(g.value(report, SH.conforms)) == "false"
    notes = set(g.objects(None, SKOS.editorialNote))
    assert Literal("acceptée : coupée court", lang="fr") in notes
    assert Literal("accepted: cut short", lang="en") in notes


# --- HTML in Chromium ---------------------------------------------------------------------------

class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.summary_cells: list[str] = []
        self._in_summary = False
        self._cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and "data-severity" in a:
            self.rows.append({k: v or "" for k, v in a.items()})
        if tag == "table" and a.get("id") == "summary-table":
            self._in_summary = True
        self._cell = self._in_summary and tag in ("td", "th")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_summary = False

    def handle_data(self, data: str) -> None:
        if self._cell and data.strip():
            self.summary_cells.append(data.strip())
            self._cell = False


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError("Chromium is needed for this test: apt-get install chromium "
                         "(scripts/setup --test installs it)")


def chromium_args(tmp_path: Path) -> list[str]:
    return [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}"]


# added to a copy of the page: after layout, count the cells whose content overflows them
_OVERFLOW_PROBE = """<script>
var over=[];document.querySelectorAll('#findings td').forEach(function(td){
  if(td.scrollWidth>td.clientWidth+1){over.push(td.textContent.slice(0,40));}});
var t=document.getElementById('findings');
document.body.setAttribute('data-overflow',over.length+'|'+JSON.stringify(over));
document.body.setAttribute('data-table-fits',String(t.scrollWidth<=document.documentElement.clientWidth));
</script></body>"""


def render_in_chromium(page: Path, fragment: str, tmp_path: Path, width: int = 1280) -> str:
    cmd = [*chromium_args(tmp_path), f"--window-size={width},900", "--dump-dom",
           f"file://{page}{fragment}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("fragment,shown", [("", 10), ("#severity=warning", 1),
                                            ("#referential=cci-2015", 8),
                                            ("#rule=jgsh:JobShape-band", 1),
                                            ("#status=fix", 3), ("#status=accepted", 7),
                                            ("#status=accepted&rule=jgsh:JobShape-scores", 6)])
def test_html_renders_rows_and_filters_in_chromium(tmp_path: Path, fragment: str,
                                                    shown: int) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(_report(), "html"), encoding="utf-8")
    dom = render_in_chromium(page, fragment, tmp_path)
    parser = _Rows()
    parser.feed(dom)
    assert len(parser.rows) == 10
    visible = [r for r in parser.rows if "display: none" not in r.get("style", "")]
    assert len(visible) == shown
    assert re.search(rf'<span id="shown">{shown}</span>', dom)
    assert "data/<wbr>cci-2015/<wbr>jobs.yaml:12" in dom and "Auditeur" in dom


def test_html_summary_is_filled_and_accepted_rows_are_acknowledged(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(_report(), "html"), encoding="utf-8")
    parser = _Rows()
    parser.feed(render_in_chromium(page, "", tmp_path))
    # referential, violation, warning, info, accepted; a total row
    assert parser.summary_cells[:6] == ["référentiel", "violation", "avertissement", "info",
                                        "acceptée", "cci-2015"]
    assert parser.summary_cells[6:10] == ["1", "0", "0", "7"]
    assert parser.summary_cells[-5:] == ["total", "1", "1", "1", "7"]
    accepted = [r for r in parser.rows if r["data-status"] == "accepted"]
    assert len(accepted) == 7 and all(r["class"] == "accepted" for r in accepted)
    fix = [r for r in parser.rows if r["data-status"] == "fix"]
    assert {r["class"] for r in fix} == {"fix"}
    page_text = render(_report(), "html")
    # an accepted finding is a badge, never the severity's red
    row = re.search(r'<tr [^>]*data-status="accepted"[^>]*>.*?</tr>', page_text)
    assert row and 'class="badge"' in row.group() and 'class="violation"' not in row.group()


@pytest.mark.parametrize("width", [1280, 900])
def test_html_columns_do_not_overflow(tmp_path: Path, width: int) -> None:
    long = _finding("violation", "photographie-2024", "cadres-directeur-administratif-financier-"
                    "et-des-ressources-humaines-du-siege", "qc:job-duplicate-label",
                    value="Directeur administratif et financier " * 3)
    report = _report()
    report.findings.append(long)
    page = tmp_path / "report.html"
    page.write_text(render(report, "html").replace("</body>", _OVERFLOW_PROBE), encoding="utf-8")
    dom = render_in_chromium(page, "", tmp_path, width=width)
    found = re.search(r'data-overflow="(\d+)\|', dom)
    assert found and found.group(1) == "0", dom[dom.find("data-overflow"):][:400]
    assert 'data-table-fits="true"' in dom


def test_html_is_self_contained_and_in_its_language() -> None:
    page = render(_report(), "html")
    assert "<script src" not in page and "<link" not in page and "http://" not in page.replace(
        "http://www.w3.org", "")
    en = render(_report(), "html", lang="en")
    assert '<html lang="en">' in en and "coupée" not in en and "« fr »" not in en
