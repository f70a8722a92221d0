"""The command line: stored queries, job names, report formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from util import copy_mini, run


@pytest.fixture()
def mini(tmp_path: Path) -> tuple[str, str]:
    data = copy_mini(tmp_path)
    store = tmp_path / "store"
    assert run("build", "--data", str(data), "--store", str(store))[0] == 0
    return str(data), str(store)


def test_queries_lists_names_parameters_and_columns() -> None:
    code, out, _ = run("queries")
    assert code == 0
    assert "job-profile" in out and "--param job=<IRI jg:Job> required" in out
    assert "returns: ?rank ?levelNotation ?job ?jobLabel ?total" in out


@pytest.mark.parametrize("name", ["https://w3id.org/jobgraph/id/mini-ref/job/assistant",
                                  "mini-ref/assistant", "assistant(e) de bureau",
                                  "ASSISTANT(E) DE BUREAU"])
def test_a_job_is_named_by_iri_id_or_label(mini: tuple[str, str], name: str) -> None:
    data, store = mini
    code, out, err = run("query", "job-profile", "--data", data, "--store", store,
                         "--param", f"job={name}", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["head"]["vars"][:2] == ["job", "jobLabel"]
    rows = doc["results"]["bindings"]
    assert {r["score"]["value"] for r in rows} == {"3"}
    assert rows[0]["total"] == {"type": "literal", "value": "6",
                                "datatype": "http://www.w3.org/2001/XMLSchema#integer"}
    assert rows[0]["jobLabel"]["xml:lang"] == "fr"


def test_ambiguous_and_unknown_jobs_list_candidates(mini: tuple[str, str]) -> None:
    data, store = mini
    code, _, err = run("query", "job-profile", "--data", data, "--store", store,
                       "--param", "job=bureau")
    assert code == 2 and "ambiguous" in err
    assert "mini-ref/agent" in err and "mini-ref/assistant" in err
    code, _, err = run("query", "job-profile", "--data", data, "--store", store,
                       "--param", "job=plombier")
    assert code == 2 and "unknown" in err


def test_usage_errors_exit_2(mini: tuple[str, str]) -> None:
    data, store = mini
    assert run("query", "no-such-query", "--data", data, "--store", store)[0] == 2
    code, _, err = run("query", "job-profile", "--data", data, "--store", store,
                       "--param", "jobb=mini-ref/agent")
    assert code == 2 and "no parameter 'jobb'" in err
    code, _, err = run("query", "job-profile", "--data", data, "--store", store)
    assert code == 2 and "needs --param job" in err
    assert run("frobnicate")[0] == 2


def test_table_and_csv_formats(mini: tuple[str, str]) -> None:
    data, store = mini
    code, out, _ = run("query", "level-ladder", "--data", data, "--store", store, "--param",
                       "referential=https://w3id.org/jobgraph/id/mini-ref")
    assert code == 0 and "Agent de bureau" in out and "(2 lignes)" in out
    head = [c.strip() for c in out.splitlines()[0].split("|")]
    # headers in French (the queries' # column: lines), the label before the job's short id
    assert head[:4] == ["Rang", "Niveau", "Emploi", "Id. emploi"]
    assert "| Agent de bureau" in out and "| mini-ref/agent " in out
    assert "https://" not in out
    code, out, _ = run("query", "level-ladder", "--data", data, "--store", store, "--param",
                       "referential=https://w3id.org/jobgraph/id/mini-ref", "--lang", "en")
    assert out.splitlines()[0].split("|")[2].strip() == "Job" and "(2 rows)" in out
    # one mini job has an English name (alt_labels_en), the other not: marked, and counted
    assert "Agent de bureau*" in out
    assert "* the data has no English text here: shown in French (1)" in out
    assert "Office assistant" in out and "Office assistant*" not in out
    code, out, _ = run("query", "level-ladder", "--data", data, "--store", store, "--param",
                       "referential=https://w3id.org/jobgraph/id/mini-ref", "--format", "csv")
    lines = out.splitlines()
    assert lines[0] == "rank,levelNotation,job,jobLabel,total,minTotal,maxTotal"
    # each job's total with its level's band (mini-ref/referential.yaml: 2–4 and 5–8)
    assert lines[1].endswith(",Agent de bureau,3,2,4")
    assert lines[2].endswith(",Assistant(e) de bureau,6,5,8")


def test_validate_exit_codes_and_fail_on(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    store = str(tmp_path / "store")
    assert run("validate", "--data", str(data), "--store", store, "--no-reason")[0] == 0
    jobs = data / "mini-ref" / "jobs.yaml"
    jobs.write_text(jobs.read_text(encoding="utf-8").replace("{savoir: 3, autonomie: 3}",
                                                             "{savoir: 4, autonomie: 5}"))
    code, out, _ = run("validate", "--data", str(data), "--store", store, "--no-reason")
    assert code == 1
    assert "data/mini-ref/jobs.yaml:10" in out and "jgsh:CriterionScoreShape-range" in out
    assert "jgsh:JobShape-band" in out and "[VIOLATION]" in out


def test_validate_writes_report_files_atomically(tmp_path: Path) -> None:
    data = copy_mini(tmp_path)
    store = str(tmp_path / "store")
    for fmt in ("text", "markdown", "html", "json", "turtle"):
        target = tmp_path / f"report.{fmt}"
        code, out, _ = run("validate", "--data", str(data), "--store", store, "--no-reason",
                           "--format", fmt, "-o", str(target))
        assert code == 0 and out == "" and target.stat().st_size > 0
        assert not list(tmp_path.glob(f".report.{fmt}.*")), "no temporary file left behind"
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["conforms"] is True and doc["findings"] == []
