"""Report formats: grouped text, Markdown, JSON schema, SHACL Turtle, and HTML rendered in Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import Graph

from jobgraph.findings import Finding, ValidationReport
from jobgraph.namespaces import SH
from jobgraph.report import render


def _report() -> ValidationReport:
    def f(sev: str, ref: str, focus: str, rule: str, accepted: str | None = None) -> Finding:
        return Finding(severity=sev, rule=rule, rule_name=rule, message=f"message {rule} « fr »",
                       message_en=f"message {rule} en", focus=f"https://w3id.org/jobgraph/id/{ref}/job/{focus}",
                       label=focus.title(), path="jg:level", value="0", expected="exactly one",
                       source=f"data/{ref}/jobs.yaml:12", referential=ref, accepted=accepted)

    return ValidationReport(findings=[
        f("violation", "cci-2015", "auditeur", "jgsh:JobShape-level", accepted="cut short"),
        f("violation", "cci-2015", "juriste", "jgsh:JobShape-band"),
        f("warning", "missions-locales", "directeur", "jgsh:JobShape-requiresNew"),
        f("info", "informatique", "chef-de-projet", "jgsh:RomeLinkShape-legacy"),
    ], notes=["OWL check skipped"])


def test_text_groups_by_referential_then_job_and_names_file_line() -> None:
    out = render(_report(), "text")
    assert out.index("== cci-2015") < out.index("  Auditeur") < out.index("  Juriste") < \
        out.index("== informatique")
    assert "[VIOLATION] data/cci-2015/jobs.yaml:12 message jgsh:JobShape-band « fr »" in out
    assert "acceptée — motif: cut short" in out
    assert "\033[" not in out
    assert "\033[31m" in render(_report(), "text", colour=True)
    assert "message jgsh:JobShape-band en" in render(_report(), "text", lang="en")
    assert "1 violation(s), 1 avertissement(s), 1 info, 1 acceptée(s)" in out


def test_markdown_and_json() -> None:
    md = render(_report(), "markdown", lang="en")
    assert "## cci-2015" in md and "| `jgsh:JobShape-band` | 1 |" in md
    doc = json.loads(render(_report(), "json"))
    assert doc["conforms"] is False
    assert doc["summary"]["counts"] == {"violation": 1, "warning": 1, "info": 1, "accepted": 1}
    first = doc["findings"][0]
    assert set(first) >= {"severity", "message", "focus", "label", "path", "value", "expected",
                          "rule", "source", "referential", "accepted"}
    assert first["source"] == "data/cci-2015/jobs.yaml:12"
    assert json.loads(render(_report(), "json", fail_on="warning"))["conforms"] is False


def test_turtle_is_a_shacl_validation_report() -> None:
    g = Graph().parse(data=render(_report(), "turtle"), format="turtle")
    results = list(g.subjects(None, SH.ValidationResult))
    assert len(results) == 4
    report = next(g.subjects(None, SH.ValidationReport))
    assert str(g.value(report, SH.conforms)) == "false"


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and "data-severity" in a:
            self.rows.append({k: v or "" for k, v in a.items()})


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError("Chromium is needed for this test: apt-get install chromium "
                         "(scripts/setup --test installs it)")


def _render_in_chromium(page: Path, fragment: str, tmp_path: Path) -> str:
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
           f"file://{page}{fragment}"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("fragment,shown", [("", 4), ("#severity=warning", 1),
                                            ("#referential=cci-2015", 2),
                                            ("#rule=jgsh:JobShape-band", 1)])
def test_html_renders_rows_and_filters_in_chromium(tmp_path: Path, fragment: str, shown: int) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(_report(), "html"), encoding="utf-8")
    dom = _render_in_chromium(page, fragment, tmp_path)
    parser = _Rows()
    parser.feed(dom)
    assert len(parser.rows) == 4
    visible = [r for r in parser.rows if "display: none" not in r.get("style", "")]
    assert len(visible) == shown
    assert re.search(rf'<span id="shown">{shown}</span>', dom)
    assert "data/cci-2015/jobs.yaml:12" in dom and "Auditeur" in dom


def test_html_is_self_contained() -> None:
    page = render(_report(), "html")
    assert "<script src" not in page and "<link" not in page and "http://" not in page.replace(
        "http://www.w3.org", "")
