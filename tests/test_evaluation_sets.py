"""The judged evaluation sets of evaluation/: format, known ids, split rule and consistency.

The checks are plain functions returning a list of problems, so the same checks that pass on the
shipped files are shown to fail on deliberately broken copies written to ``tmp_path``.
"""

from __future__ import annotations

import copy
import csv
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT = Path(__file__).resolve().parents[1]
EVALUATION = PROJECT / "evaluation"
DATA = PROJECT / "data"
ROME = DATA / "rome" / "v460"

REFERENTIALS = ("cci-2015", "missions-locales", "photographie-2024", "tp-cagea", "informatique")
SPLITS = ("dev", "test")
MIN_CASES = {
    "equivalents.yaml": 40,
    "paths.yaml": 20,
    "next-steps.yaml": 10,
    "competence-gaps.yaml": 10,
    "second-judge.yaml": 20,
}
# The known bad answers the sets must keep out (issue #15, item 8): the jobs a
# credible path between these two ends must never pass through.
KNOWN_BAD_PATHS = {
    (
        "photographie-2024/magasin-operateur-vendeur-1",
        "photographie-2024/magasin-directeur-magasin",
    ): {"cci-2015/inspecteur-des-peages"},
    ("informatique/developpeur", "informatique/chef-de-projet"): {
        "informatique/directeur-des-systemes-d-information"
    },
    ("missions-locales/conseiller-niveau-1", "missions-locales/directeur"): {
        "photographie-2024/pro-directeur-studio",
        "photographie-2024/studios-directeur-studio",
    },
}


@dataclass(frozen=True)
class Catalog:
    """What the sets may name: jobs, competences and certifications of data/, ROME labels."""

    jobs: frozenset[str]
    jobs_per_referential: dict[str, int]
    competences: frozenset[str]
    certifications: frozenset[str]
    rome_labels: frozenset[str]


def _read_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _ids(path: Path, key: str, referential: str) -> set[str]:
    if not path.exists():
        return set()
    records = (_read_yaml(path) or {}).get(key) or []
    return {f"{referential}/{record['id']}" for record in records}


def _rome_labels() -> frozenset[str]:
    labels: set[str] = set()
    for name, column in (
        ("unix_referentiel_competence_v460_utf8.csv", "libelle_competence"),
        ("unix_referentiel_savoir_v460_utf8.csv", "libelle_savoir"),
    ):
        with (ROME / name).open(encoding="utf-8", newline="") as handle:
            labels.update(row[column] for row in csv.DictReader(handle))
    return frozenset(labels)


def load_catalog(data: Path = DATA) -> Catalog:
    jobs: set[str] = set()
    per_referential: dict[str, int] = {}
    competences: set[str] = set()
    certifications: set[str] = set()
    for referential in REFERENTIALS:
        folder = data / referential
        found = _ids(folder / "jobs.yaml", "jobs", referential)
        jobs |= found
        per_referential[referential] = len(found)
        competences |= _ids(folder / "competences.yaml", "competences", referential)
        certifications |= _ids(folder / "certifications.yaml", "certifications", referential)
    return Catalog(
        jobs=frozenset(jobs),
        jobs_per_referential=per_referential,
        competences=frozenset(competences),
        certifications=frozenset(certifications),
        rome_labels=_rome_labels(),
    )


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# ---------------------------------------------------------------------------- checks


def split_by_rule(index: int) -> str:
    """README's split rule: the third, sixth, ninth… case in file order is held out."""
    return "test" if index % 3 == 2 else "dev"


def referential_of(job: str) -> str:
    return job.split("/", 1)[0]


class _Problems:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{self.path.name}: {where}: {message}")


def _cases(path: Path, problems: _Problems) -> list[dict[str, Any]] | None:
    """The file's cases, or None (with the problem said) when the file cannot be read as a set."""
    try:
        document = _read_yaml(path)
    except yaml.YAMLError as error:
        problems.add("file", f"not valid YAML ({error})")
        return None
    if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
        problems.add("file", "expected a mapping with a 'cases' list")
        return None
    cases = document["cases"]
    minimum = MIN_CASES[path.name]
    if len(cases) < minimum:
        problems.add("file", f"{len(cases)} cases, at least {minimum} needed")
    good: list[dict[str, Any]] = []
    for index, case in enumerate(cases):
        if isinstance(case, dict):
            good.append(case)
        else:
            problems.add(f"case {index + 1}", "a case must be a mapping")
            good.append({})
    return good


def _keys(case: dict[str, Any], required: set[str], where: str, problems: _Problems) -> bool:
    missing = required - case.keys()
    unknown = case.keys() - required - {"batch"}  # optional: when the case was written
    # A batch is the date it was judged; a later batch of the same day adds one lowercase letter.
    if "batch" in case and not re.fullmatch(r"\d{4}-\d{2}-\d{2}[a-z]?", str(case["batch"])):
        problems.add(
            where,
            f"batch {case['batch']!r} is not a date YYYY-MM-DD, "
            "optionally followed by one lowercase letter (e.g. 2026-12-07b)",
        )
    if missing:
        problems.add(where, f"missing keys {sorted(missing)}")
    if unknown:
        problems.add(where, f"unknown keys {sorted(unknown)}")
    return not missing


def _common(case: dict[str, Any], index: int, where: str, problems: _Problems) -> None:
    split = case.get("split")
    if split not in SPLITS:
        problems.add(where, f"split {split!r} is not one of {SPLITS}")
    elif split != split_by_rule(index):
        problems.add(
            where,
            f"split {split!r} breaks the split rule (case {index + 1} is {split_by_rule(index)!r})",
        )
    reason = case.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        problems.add(where, "reason must be a non-empty string")


def _job(value: Any, where: str, catalog: Catalog, problems: _Problems) -> str | None:
    if not isinstance(value, str):
        problems.add(where, f"job id must be a string, got {value!r}")
        return None
    if value not in catalog.jobs:
        problems.add(where, f"unknown job {value!r} (no such id in data/<referential>/jobs.yaml)")
    return value


def _job_list(value: Any, where: str, catalog: Catalog, problems: _Problems) -> list[str]:
    if not isinstance(value, list):
        problems.add(where, f"expected a list of job ids, got {value!r}")
        return []
    jobs = [job for item in value if (job := _job(item, where, catalog, problems)) is not None]
    for job, count in Counter(jobs).items():
        if count > 1:
            problems.add(where, f"{job} is listed {count} times")
    return jobs


def _disjoint(lists: Mapping[str, Iterable[str]], where: str, problems: _Problems) -> None:
    names = list(lists)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            for job in sorted(set(lists[first]) & set(lists[second])):
                problems.add(where, f"{job} is listed both in {first} and in {second}")


def check_equivalents(path: Path, catalog: Catalog) -> list[str]:
    problems = _Problems(path)
    cases = _cases(path, problems)
    if cases is None:
        return problems.items
    seen: Counter[str] = Counter()
    empty = 0
    for index, case in enumerate(cases):
        where = f"case {index + 1} ({case.get('job')})"
        if not _keys(case, {"job", "split", "reason", "equivalents", "related"}, where, problems):
            continue
        _common(case, index, where, problems)
        job = _job(case["job"], where, catalog, problems)
        if job is None:
            continue
        seen[job] += 1
        lists: dict[str, list[str]] = {}
        for name in ("equivalents", "related"):
            entries = case[name]
            if not isinstance(entries, list):
                problems.add(where, f"{name} must be a list")
                entries = []
            lists[name] = []
            for entry in entries:
                if not isinstance(entry, dict) or not _keys(
                    entry, {"job", "reason"}, f"{where} {name}", problems
                ):
                    continue
                other = _job(entry["job"], f"{where} {name}", catalog, problems)
                if other is None:
                    continue
                lists[name].append(other)
                if referential_of(other) == referential_of(job):
                    problems.add(where, f"{name} lists {other} of the same referential")
                if not isinstance(entry["reason"], str) or not entry["reason"].strip():
                    problems.add(where, f"{name} entry {other} needs a one-line reason")
            for other, count in Counter(lists[name]).items():
                if count > 1:
                    problems.add(where, f"{name} lists {other} {count} times")
        _disjoint(lists, where, problems)
        if not lists["equivalents"] and not lists["related"]:
            empty += 1
    for job, count in seen.items():
        if count > 1:
            problems.add("file", f"{job} has {count} cases")
    per_referential = Counter(referential_of(job) for job in seen)
    for referential, size in catalog.jobs_per_referential.items():
        wanted = 6 if size >= 6 else 1
        if per_referential[referential] < wanted:
            problems.add(
                "file",
                f"{per_referential[referential]} cases from {referential}, "
                f"at least {wanted} needed",
            )
    if cases and empty == 0:
        problems.add("file", "no case whose honest answer is empty (no equivalent, no related)")
    return problems.items


def check_paths(path: Path, catalog: Catalog) -> list[str]:
    problems = _Problems(path)
    cases = _cases(path, problems)
    if cases is None:
        return problems.items
    inside = across = 0
    ends: set[tuple[str, str]] = set()
    for index, case in enumerate(cases):
        where = f"case {index + 1} ({case.get('from')} -> {case.get('to')})"
        required = {"from", "to", "split", "expected", "allowed", "max_steps", "reason"}
        if not _keys(case, required, where, problems):
            continue
        _common(case, index, where, problems)
        start = _job(case["from"], where, catalog, problems)
        end = _job(case["to"], where, catalog, problems)
        expected = _job_list(case["expected"], f"{where} expected", catalog, problems)
        allowed = _job_list(case["allowed"], f"{where} allowed", catalog, problems)
        if start is None or end is None:
            continue
        ends.add((start, end))
        if start == end:
            problems.add(where, "from and to are the same job")
        if referential_of(start) == referential_of(end):
            inside += 1
        else:
            across += 1
        if len(expected) < 2 or expected[0] != start or expected[-1] != end:
            problems.add(where, "the expected path must start at 'from' and end at 'to'")
        max_steps = case["max_steps"]
        if not isinstance(max_steps, int) or isinstance(max_steps, bool) or max_steps < 1:
            problems.add(where, f"max_steps must be a positive integer, got {max_steps!r}")
        elif len(expected) - 1 > max_steps:
            problems.add(
                where,
                f"the expected path has {len(expected) - 1} steps, more than max_steps {max_steps}",
            )
        _disjoint({"expected": expected, "allowed": allowed}, where, problems)
        for job in sorted({start, end} & set(allowed)):
            problems.add(where, f"allowed lists the path's own end {job}")
        bad = KNOWN_BAD_PATHS.get((start, end), set())
        for job in sorted(bad & (set(expected) | set(allowed))):
            problems.add(where, f"known bad case: {job} must not be on a credible path")
    for start, end in sorted(set(KNOWN_BAD_PATHS) - ends):
        problems.add("file", f"the known bad case {start} -> {end} is missing")
    if cases and (inside == 0 or across == 0):
        problems.add(
            "file",
            f"{inside} moves inside a referential and {across} across: a mix of both is needed",
        )
    return problems.items


def check_next_steps(path: Path, catalog: Catalog) -> list[str]:
    problems = _Problems(path)
    cases = _cases(path, problems)
    if cases is None:
        return problems.items
    for index, case in enumerate(cases):
        where = f"case {index + 1} ({case.get('job')})"
        required = {"job", "split", "expected", "acceptable", "forbidden", "reason"}
        if not _keys(case, required, where, problems):
            continue
        _common(case, index, where, problems)
        job = _job(case["job"], where, catalog, problems)
        lists = {
            name: _job_list(case[name], f"{where} {name}", catalog, problems)
            for name in ("expected", "acceptable", "forbidden")
        }
        if not lists["expected"]:
            problems.add(where, "expected must name at least one job")
        _disjoint(lists, where, problems)
        for name, jobs in lists.items():
            if job in jobs:
                problems.add(where, f"{name} lists the job itself")
    return problems.items


def check_competence_gaps(path: Path, catalog: Catalog) -> list[str]:
    problems = _Problems(path)
    cases = _cases(path, problems)
    if cases is None:
        return problems.items
    for index, case in enumerate(cases):
        where = f"case {index + 1} ({case.get('from')} -> {case.get('to')})"
        required = {"from", "to", "split", "expected_top", "not_gaps", "certifications", "reason"}
        if not _keys(case, required, where, problems):
            continue
        _common(case, index, where, problems)
        start = _job(case["from"], where, catalog, problems)
        end = _job(case["to"], where, catalog, problems)
        if start is not None and start == end:
            problems.add(where, "from and to are the same job")
        lists: dict[str, list[str]] = {}
        for name in ("expected_top", "not_gaps"):
            items = case[name]
            if not isinstance(items, list):
                problems.add(where, f"{name} must be a list")
                items = []
            lists[name] = []
            for item in items:
                if not isinstance(item, str) or not item.strip():
                    problems.add(where, f"{name}: {item!r} is not a competence id or label")
                    continue
                lists[name].append(item)
                if referential_of(item) in REFERENTIALS and "/" in item:
                    if item not in catalog.competences:
                        problems.add(
                            where,
                            f"{name}: unknown competence {item!r} (no such id "
                            "in that referential's competences.yaml)",
                        )
                elif item not in catalog.rome_labels:
                    problems.add(
                        where,
                        f"{name}: {item!r} is no ROME 4.0 label of "
                        "data/rome/v460 (savoir-faire, savoir-être, savoir)",
                    )
        if not lists["expected_top"]:
            problems.add(where, "expected_top must name at least one competence")
        _disjoint(lists, where, problems)
        certifications = case["certifications"]
        if not isinstance(certifications, list):
            problems.add(where, "certifications must be a list")
            certifications = []
        for certification in certifications:
            if certification not in catalog.certifications:
                problems.add(
                    where,
                    f"unknown certification {certification!r} (no such id in "
                    "data/<referential>/certifications.yaml)",
                )
    return problems.items


def check_across(equivalents: Path, next_steps: Path) -> list[str]:
    """A job judged the same job elsewhere cannot also be a forbidden next step of it."""
    problems = _Problems(next_steps)
    same: dict[str, set[str]] = {}
    for case in (_read_yaml(equivalents) or {}).get("cases") or []:
        same[case["job"]] = {entry["job"] for entry in case.get("equivalents") or []}
    for index, case in enumerate((_read_yaml(next_steps) or {}).get("cases") or []):
        clash = same.get(case["job"], set()) & set(case.get("forbidden") or [])
        for job in sorted(clash):
            problems.add(
                f"case {index + 1} ({case['job']})",
                f"{job} is an equivalent in {equivalents.name} and forbidden here",
            )
    return problems.items


def check_second_judge(path: Path, catalog: Catalog,
                       equivalents: Path = EVALUATION / "equivalents.yaml") -> list[str]:
    """A second judge's cases: each a job of a case of ``equivalents``, judged once, with two
    lists of jobs of other referentials (bare ids, none in both) and a reason."""
    problems = _Problems(path)
    cases = _cases(path, problems)
    if cases is None:
        return problems.items
    judged = {c.get("job") for c in _read_yaml(equivalents)["cases"]}
    seen: Counter[str] = Counter()
    for index, case in enumerate(cases):
        where = f"case {index + 1} ({case.get('job')})"
        if not _keys(case, {"job", "reason", "equivalents", "related"}, where, problems):
            continue
        job = _job(case["job"], where, catalog, problems)
        if job is None:
            continue
        seen[job] += 1
        if job not in judged:
            problems.add(where, f"{job} is not a case of {equivalents.name}")
        if not isinstance(case["reason"], str) or not case["reason"].strip():
            problems.add(where, "reason must be a non-empty string")
        lists = {name: _job_list(case[name], f"{where} {name}", catalog, problems)
                 for name in ("equivalents", "related")}
        for name, jobs in lists.items():
            for other in jobs:
                if referential_of(other) == referential_of(job):
                    problems.add(where, f"{name} lists {other} of the same referential")
        _disjoint(lists, where, problems)
    for job, count in seen.items():
        if count > 1:
            problems.add("file", f"{job} has {count} cases")
    return problems.items


Checker = Callable[[Path, Catalog], list[str]]
CHECKERS: dict[str, Checker] = {
    "equivalents.yaml": check_equivalents,
    "paths.yaml": check_paths,
    "next-steps.yaml": check_next_steps,
    "competence-gaps.yaml": check_competence_gaps,
    "second-judge.yaml": check_second_judge,
}


# ---------------------------------------------------------------------------- shipped sets


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_shipped_set_is_well_formed(name: str, catalog: Catalog) -> None:
    assert CHECKERS[name](EVALUATION / name, catalog) == []


def test_shipped_sets_agree_across_files() -> None:
    assert check_across(EVALUATION / "equivalents.yaml", EVALUATION / "next-steps.yaml") == []


def test_readme_describes_every_set() -> None:
    readme = (EVALUATION / "README.md").read_text(encoding="utf-8")
    for name in CHECKERS:
        assert f"`{name}`" in readme
    assert "split" in readme and "Precision@5" in readme


@pytest.mark.parametrize("name", sorted(set(CHECKERS) - {"second-judge.yaml"}))
def test_about_a_third_of_each_set_is_held_out(name: str) -> None:
    cases = _read_yaml(EVALUATION / name)["cases"]
    held_out = sum(case["split"] == "test" for case in cases)
    assert held_out == len(cases) // 3


# ---------------------------------------------------------------------------- broken copies

Mutation = Callable[[dict[str, Any]], None]


def _case(document: dict[str, Any], key: str, value: str) -> dict[str, Any]:
    return next(case for case in document["cases"] if case[key] == value)


def _bad_batch(document: dict[str, Any]) -> None:
    document["cases"][0]["batch"] = "2026-12-07B"


def _unknown_equivalent(document: dict[str, Any]) -> None:
    _case(document, "job", "cci-2015/charge-d-accueil")["equivalents"][0]["job"] = (
        "tp-cagea/no-such-job"
    )


def _bad_split(document: dict[str, Any]) -> None:
    document["cases"][0]["split"] = "validation"


def _split_against_rule(document: dict[str, Any]) -> None:
    document["cases"][0]["split"] = "test"


def _equivalent_also_related(document: dict[str, Any]) -> None:
    case = _case(document, "job", "cci-2015/charge-d-accueil")
    case["related"].append(copy.deepcopy(case["equivalents"][0]))


def _same_referential(document: dict[str, Any]) -> None:
    _case(document, "job", "cci-2015/charge-d-accueil")["related"].append(
        {"job": "cci-2015/assistant", "reason": "same referential"}
    )


def _entry_without_reason(document: dict[str, Any]) -> None:
    del _case(document, "job", "cci-2015/charge-d-accueil")["equivalents"][0]["reason"]


def _too_few_cases(document: dict[str, Any]) -> None:
    del document["cases"][39:]


def _no_empty_case(document: dict[str, Any]) -> None:
    document["cases"] = [c for c in document["cases"] if c["equivalents"] or c["related"]]


def _path_ends_elsewhere(document: dict[str, Any]) -> None:
    _case(document, "from", "cci-2015/comptable-1")["expected"].pop()


def _path_too_long(document: dict[str, Any]) -> None:
    _case(document, "from", "cci-2015/comptable-1")["max_steps"] = 1


def _toll_inspector_allowed(document: dict[str, Any]) -> None:
    case = _case(document, "from", "photographie-2024/magasin-operateur-vendeur-1")
    case["allowed"].append("cci-2015/inspecteur-des-peages")


def _expected_also_forbidden(document: dict[str, Any]) -> None:
    case = _case(document, "job", "cci-2015/comptable-1")
    case["forbidden"].append(case["expected"][0])


def _unknown_competence(document: dict[str, Any]) -> None:
    document["cases"][0]["expected_top"].append("missions-locales/d99.9")


def _misspelt_rome_label(document: dict[str, Any]) -> None:
    case = _case(document, "from", "cci-2015/technicien-systeme-d-information")
    case["expected_top"][0] = "Administrer un systeme d'information"


def _unknown_certification(document: dict[str, Any]) -> None:
    document["cases"][0]["certifications"] = ["tp-cagea/bts-sam"]


def _gap_also_not_gap(document: dict[str, Any]) -> None:
    case = document["cases"][0]
    case["not_gaps"].append(case["expected_top"][0])


def _second_judge_not_a_case(document: dict[str, Any]) -> None:
    cases = {case["job"] for case in _read_yaml(EVALUATION / "equivalents.yaml")["cases"]}
    jobs = _read_yaml(DATA / "cci-2015" / "jobs.yaml")["jobs"]
    document["cases"][0]["job"] = next(
        f"cci-2015/{job['id']}" for job in jobs if f"cci-2015/{job['id']}" not in cases
    )


def _second_judge_own_referential(document: dict[str, Any]) -> None:
    case = document["cases"][0]
    case["related"].append(case["job"].split("/")[0] + "/no-such-job")


def _second_judge_both_lists(document: dict[str, Any]) -> None:
    case = next(c for c in document["cases"] if c["equivalents"])
    case["related"].append(case["equivalents"][0])


BROKEN: list[tuple[str, Mutation, str]] = [
    ("equivalents.yaml", _unknown_equivalent, "unknown job 'tp-cagea/no-such-job'"),
    ("equivalents.yaml", _bad_split, "split 'validation' is not one of"),
    ("equivalents.yaml", _bad_batch, "batch '2026-12-07B' is not a date YYYY-MM-DD"),
    ("equivalents.yaml", _split_against_rule, "breaks the split rule"),
    ("equivalents.yaml", _equivalent_also_related, "both in equivalents and in related"),
    ("equivalents.yaml", _same_referential, "of the same referential"),
    ("equivalents.yaml", _entry_without_reason, "missing keys ['reason']"),
    ("equivalents.yaml", _too_few_cases, "39 cases, at least 40 needed"),
    ("equivalents.yaml", _no_empty_case, "no case whose honest answer is empty"),
    ("paths.yaml", _path_ends_elsewhere, "must start at 'from' and end at 'to'"),
    ("paths.yaml", _path_too_long, "more than max_steps 1"),
    ("paths.yaml", _toll_inspector_allowed, "known bad case: cci-2015/inspecteur-des-peages"),
    ("next-steps.yaml", _expected_also_forbidden, "both in expected and in forbidden"),
    ("competence-gaps.yaml", _unknown_competence, "unknown competence 'missions-locales/d99.9'"),
    ("competence-gaps.yaml", _misspelt_rome_label, "is no ROME 4.0 label"),
    ("competence-gaps.yaml", _unknown_certification, "unknown certification 'tp-cagea/bts-sam'"),
    ("competence-gaps.yaml", _gap_also_not_gap, "both in expected_top and in not_gaps"),
    ("second-judge.yaml", _second_judge_not_a_case, "is not a case of equivalents.yaml"),
    ("second-judge.yaml", _second_judge_own_referential, "no-such-job"),
    ("second-judge.yaml", _second_judge_both_lists, "both in equivalents and in related"),
]


@pytest.mark.parametrize(
    ("name", "mutate", "message"),
    BROKEN,
    ids=[mutate.__name__.strip("_") for _, mutate, _ in BROKEN],
)
def test_broken_copy_is_caught(
    name: str, mutate: Mutation, message: str, tmp_path: Path, catalog: Catalog
) -> None:
    document = _read_yaml(EVALUATION / name)
    mutate(document)
    broken = tmp_path / name
    broken.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    problems = CHECKERS[name](broken, catalog)
    assert any(message in problem for problem in problems), problems


def test_broken_yaml_is_reported_not_raised(tmp_path: Path, catalog: Catalog) -> None:
    broken = tmp_path / "paths.yaml"
    broken.write_text("cases:\n  - from: [unclosed\n", encoding="utf-8")
    problems = check_paths(broken, catalog)
    assert len(problems) == 1
    assert problems[0].startswith("paths.yaml: file: not valid YAML")


def test_equivalent_forbidden_as_next_step_is_caught(tmp_path: Path) -> None:
    document = _read_yaml(EVALUATION / "next-steps.yaml")
    case = _case(document, "job", "cci-2015/comptable-1")
    case["forbidden"].append("photographie-2024/sg-comptable-1")
    broken = tmp_path / "next-steps.yaml"
    broken.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    problems = check_across(EVALUATION / "equivalents.yaml", broken)
    assert problems == [
        "next-steps.yaml: case 8 (cci-2015/comptable-1): photographie-2024/sg-comptable-1 is an "
        "equivalent in equivalents.yaml and forbidden here"
    ]
