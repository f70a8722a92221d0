"""Findings in both languages, accepted findings' reasons and causes, a pair reported once, and the
quiet report of the shipped data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from jobgraph.catalogue import list_qc
from jobgraph.checks import check_graph
from jobgraph.findings import UNSTATED, Finding, ValidationReport
from jobgraph.load import load
from jobgraph.namespaces import RDF, SH
from jobgraph.report import render
from jobgraph.validate import validate
from test_shapes import findings_of, ontology, shapes_graph
from util import PROJECT, copy_mini, mini_with_a_double_space, run

FIXTURES = PROJECT / "tests" / "fixtures" / "shapes"
TEST = "https://w3id.org/jobgraph/id/test/job/"
EXPECTED = URIRef("https://w3id.org/jobgraph/shapes#expected")


# --- a pair of jobs is one finding ----------------------------------------------------------------

@pytest.mark.parametrize("name,others", [("violates-three-jobs.ttl", {"b", "c"}),
                                          ("violates-same-label-folded.ttl", {"b"})])
def test_a_label_shared_by_a_group_of_jobs_is_one_finding(name: str, others: set[str]) -> None:
    found = [f for f in findings_of(FIXTURES / "qc-job-duplicate-label" / name)
             if f.rule == "qc:job-duplicate-label"]
    assert [f.focus for f in found] == [TEST + "a"]
    named = re.search(r"et par (.*) du même référentiel", found[0].message)
    assert named and set(named.group(1).split(", ")) == others


# --- expected values in French and English --------------------------------------------------------

def test_every_expected_annotation_is_in_french_and_english() -> None:
    g = shapes_graph()
    wrong = []
    for shape in sorted(set(g.subjects(EXPECTED, None)), key=str):
        values = list(g.objects(shape, EXPECTED))
        langs = sorted(v.language or "" for v in values if isinstance(v, Literal))
        if langs != ["en", "fr"]:
            wrong.append(f"{shape}: {langs}")
    assert not wrong, "jgsh:expected must be one @fr and one @en literal:\n" + "\n".join(wrong)


_WORDS_RE = re.compile(r'BIND\((CONCAT\()?"[^"]*[A-Za-z]{2}[^"]*"[^)]*\)* AS \?expected\)')


def test_rules_that_put_words_in_expected_have_them_in_both_languages() -> None:
    """A rule whose query words its ?expected (English) gives the words in French and English
    (jgsh:expected on the constraint, expected-fr/-en in a QC query's header)."""
    g = shapes_graph()
    missing = []
    for c in g.subjects(RDF.type, SH.SPARQLConstraint):
        select = str(g.value(c, SH.select) or "")
        langs = {v.language for v in g.objects(c, EXPECTED) if isinstance(v, Literal)}
        if _WORDS_RE.search(select) and langs != {"fr", "en"}:
            missing.append(str(c))
    for q in list_qc(PROJECT / "queries"):
        both = q.meta.get("expected-fr") and q.meta.get("expected-en")
        if _WORDS_RE.search(q.text) and not both:
            missing.append(f"qc:{q.name}")
    assert not missing, missing
    assert _WORDS_RE.search('BIND("exactly one level" AS ?expected)')  # the check can fire
    assert not _WORDS_RE.search('BIND(CONCAT(STR(?min), "–", STR(?max)) AS ?expected)')


@pytest.mark.parametrize("folder,fixture,rule,fr,en", [
    ("JobShape-level", "violates-no-level.ttl", "jgsh:JobShape-level",
     "exactement un niveau", "exactly one level"),
    ("JobShape-prefLabel", "violates-no-french-label.ttl", "jgsh:JobShape-prefLabel",
     "exactement un skos:prefLabel en français", "exactly one skos:prefLabel in French"),
    ("AlignedResourceShape-alignmentBasis", "violates-unknown-basis.ttl",
     "jgsh:AlignedResourceShape-alignmentBasis", "exactement un jg:alignmentBasis, 'official' ou "
     "'estimate'", "exactly one jg:alignmentBasis, 'official' or 'estimate'"),
    # no jgsh:expected: the core constraint's own words (sh:minCount)
    ("JobShape-inScheme", "violates-no-referential.ttl", "jgsh:JobShape-inScheme",
     "au moins 1", "at least 1"),
    ("qc-level-band-gap", "violates-gap.ttl", "qc:level-band-gap",
     "une plage qui couvre {value}", "a band covering {value}"),
])
def test_findings_carry_the_expected_value_in_both_languages(
        folder: str, fixture: str, rule: str, fr: str, en: str) -> None:
    found = [f for f in findings_of(FIXTURES / folder / fixture) if f.rule == rule]
    assert found
    f = found[0]
    assert f.expected_text("fr") == fr.format(value=f.value)
    assert f.expected_text("en") == en.format(value=f.value)


def test_core_constraints_word_their_expected_value_in_both_languages() -> None:
    from jobgraph.checks import _PARAMS

    for component, (_, fr, en) in _PARAMS.items():
        words = re.findall(r"[a-z]{3,}", en)
        assert not words or fr != en, f"{component}: '{fr}' is not French"


# --- accepted findings: reasons by language, causes -----------------------------------------------

def _accept(data: Path, body: str) -> None:
    (data / "mini-ref" / "accepted-findings.yaml").write_text(body, encoding="utf-8")


@pytest.mark.parametrize("reason,fr,en", [
    ("reason: tel qu'imprimé", ("tel qu'imprimé", UNSTATED), ("tel qu'imprimé", UNSTATED)),
    ("reason: {fr: tel qu'imprimé, en: as printed}",
     ("tel qu'imprimé", None), ("as printed", None)),
    ("reason:\n      en: as printed", ("as printed", "en"), ("as printed", None)),
])
def test_a_reason_is_given_in_the_report_language_or_marked(
        tmp_path: Path, reason: str, fr: tuple[str, str | None],
        en: tuple[str, str | None]) -> None:
    data = mini_with_a_double_space(tmp_path)
    _accept(data, "accepted:\n  - rule: qc:text-whitespace\n    focus: agent\n"
                  f"    {reason}\n    cause: {{fr: espace doublée, en: doubled space}}\n")
    report = validate(data, store_dir=tmp_path / "store", reason=False)
    spaced = [f for f in report.findings if f.rule == "qc:text-whitespace"]
    assert len(spaced) == 1 and spaced[0].accepted
    assert spaced[0].reason("fr") == fr and spaced[0].reason("en") == en
    assert spaced[0].cause == {"fr": "espace doublée", "en": "doubled space"}
    out = render(report, "text", lang="en")
    assert "mini-ref · qc:text-whitespace: 1 accepted (doubled space)" in out


@pytest.mark.parametrize("entry,where,what", [
    ("reason: {de: so gedruckt}", ":5", "unknown language 'de'"),
    ("reason: {fr: ''}", ":5", "(fr) is empty"),
    ("reason: {}", ":5", "has no text"),
    ("reason: [a, b]", ":5", "must be text"),
    ("cause: {fr: x, it: y}\n    reason: ok", ":5", "unknown language 'it'"),
])
def test_a_malformed_reason_names_file_and_line_and_exits_2(
        tmp_path: Path, entry: str, where: str, what: str) -> None:
    data = copy_mini(tmp_path)
    _accept(data, f"accepted:\n  - rule: qc:text-whitespace\n    focus: agent\n\n    {entry}\n")
    code, _, err = run("validate", "--data", str(data), "--store", str(tmp_path / "s"),
                       "--no-reason")
    assert code == 2, err
    assert f"data/mini-ref/accepted-findings.yaml{where}" in err and what in err, err
    assert "Traceback" not in err


def test_every_shipped_acceptance_is_written_in_french_and_english_with_a_cause() -> None:
    ds = load(PROJECT / "data")
    entries = [a for r in ds.referentials.values() for a in r.accepted]
    assert len(entries) == 40  # 48 findings: one entry accepts the five scores of a job
    one_language = [f"{a.loc} {a.rule} {a.focus}" for a in entries
                    if set(a.reasons) != {"fr", "en"} or set(a.cause) != {"fr", "en"}]
    assert not one_language, one_language


# --- the shipped data: a quiet report -------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped(shipped_report: ValidationReport) -> ValidationReport:
    return shipped_report


@pytest.mark.slow
def test_shipped_report_counts_accepted_findings_one_line_per_referential_and_rule(
        shipped: ValidationReport) -> None:
    out = render(shipped, "text")
    lines = out.splitlines()
    counted = [ln for ln in lines if re.match(r"^  [a-z0-9-]+ · (jgsh|qc):\S+ : ", ln)]
    groups = {(f.referential, f.rule) for f in shipped.findings if f.accepted}
    assert len(counted) == len(groups) == 8
    assert "  cci-2015 · jgsh:JobShape-scores : 10 acceptés sur 2 éléments " \
           "(fiche interrompue par le document)" in lines
    assert "  photographie-2024 · qc:job-duplicate-label : 14 acceptés " \
           "(poste imprimé plusieurs fois par le document)" in lines
    assert len(lines) <= 20, out
    assert "Rien à corriger." in out
    # the French report holds no English reason
    assert "the document" not in out and "[VIOLATION]" not in out


@pytest.mark.slow
def test_shipped_report_lists_accepted_findings_on_demand_in_its_language(
        shipped: ValidationReport) -> None:
    fr = render(shipped, "text", show_accepted=True)
    en = render(shipped, "text", lang="en", show_accepted=True)
    assert fr.count("acceptée — motif: ") == en.count("accepted — reason: ") == 48
    assert "the document" not in fr and "le document" not in en
    assert "motif rédigé" not in fr and "reason written" not in en  # every reason in both
    dup = [f for f in shipped.findings if f.rule == "qc:job-duplicate-label"]
    # on the job of each group whose IRI sorts first: the Cadres or Informatique section's
    assert len(dup) == 14
    assert all(re.search(r"/job/(cadres|informatique)-", f.focus or "") for f in dup)


def test_quiet_report_counts_the_pairs_once(tmp_path: Path) -> None:
    g = Graph().parse(FIXTURES / "qc-job-duplicate-label" / "violates-three-jobs.ttl")
    findings = [f for f in check_graph(g, ontology=ontology())
                if f.rule == "qc:job-duplicate-label"]
    for f in findings:
        f.referential = "test"
        f.accept({"fr": "imprimé trois fois", "en": "printed three times"})
    out = render(ValidationReport(findings=findings), "text", lang="en")
    assert "test · qc:job-duplicate-label: 1 accepted" in out
    assert isinstance(findings[0], Finding)
    assert URIRef(findings[0].focus or "") == URIRef(TEST + "a")
