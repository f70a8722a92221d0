"""Result formats: the terminal table (wrapped to a width, or one block per row), CSV and JSON."""

from __future__ import annotations

import csv
import io
import json

from rdflib import Literal, URIRef

from jobgraph.backends import Result
from jobgraph.namespaces import XSD
from jobgraph.results import as_csv, as_json, table

ID = "https://w3id.org/jobgraph/id/"


def ladder() -> Result:
    """Five columns, as level-ladder gives them: they fit 80 columns once wrapped."""
    return Result(["rank", "levelNotation", "job", "jobLabel", "total"], [
        (Literal(1), Literal("I"), URIRef(f"{ID}cci-2015/job/agent-des-moyens-generaux"),
         Literal("Agent des moyens généraux", lang="fr"), Literal(6)),
        (Literal(4), Literal("IV"),
         URIRef(f"{ID}cci-2015/job/technicien-communication-marketing-web"),
         Literal("Technicien(ne) communication/marketing, web", lang="fr"), Literal(21)),
        (None, None, URIRef(f"{ID}cci-2015/job/auditeur-interne"),
         Literal("Auditeur(trice) interne", lang="fr"), None),
    ])


def wide() -> Result:
    """Twelve columns: too many for 80 columns side by side."""
    cols = [f"column{n}Name" for n in range(12)]
    return Result(cols, [tuple(Literal(f"value {n} of a row") for n in range(12))])


def test_a_narrow_result_is_one_line_per_row() -> None:
    out = table(ladder(), width=200).splitlines()
    job = len("cci-2015/job/technicien-communication-marketing-web")
    label = len("Technicien(ne) communication/marketing, web")
    assert out[0].split(" | ") == ["rank", "levelNotation", "job".ljust(job),
                                   "jobLabel".ljust(label), "total"]
    assert out[2].startswith("1    | I             | cci-2015/job/agent-des-moyens-generaux ")
    assert len(out) == 2 + 3 + 1 and out[-1] == "(3 rows)"


def test_columns_wrap_within_80_characters() -> None:
    out = table(ladder(), width=80).splitlines()
    assert all(len(line) <= 80 for line in out), out
    text = "\n".join(out)
    # IRIs break after a "/" or a hyphen, never inside a word when a break exists
    assert "cci-2015/job/" in text and "agent-des-moyens-" in text
    job_cells = [line.split(" | ")[2].strip() for line in out[2:-1] if " | " in line]
    assert "".join(job_cells).count("cci-2015/job/") == 3
    assert "technicien-communication-marketing-web" in "".join(job_cells)
    # rows that flow onto several lines are separated by a blank line
    assert "" in out[2:-1]
    assert out[-1] == "(3 rows)"


def test_headers_wrap_between_the_words_of_their_name() -> None:
    result = Result(["jobsOnNationalFramework", "x"], [(Literal(57), Literal("y" * 100))])
    out = table(result, width=40).splitlines()
    assert all(len(line) <= 40 for line in out)
    head = [line.split("|")[0].strip() for line in out[:2]]
    assert "".join(head) == "jobsOnNationalFramework" and len(head[0]) < 23
    assert head[1][0].isupper()  # broken before a capital, not inside a word


def test_too_many_columns_become_one_block_per_row() -> None:
    out = table(wide(), width=80).splitlines()
    assert all(len(line) <= 80 for line in out)
    assert out[0].startswith("-[ row 1 ]")
    assert out[1] == "column0Name  | value 0 of a row"
    assert len(out) == 1 + 12 + 1 and out[-1] == "(1 row)"
    # the same result side by side in a wide terminal
    assert table(wide(), width=300).splitlines()[0].startswith("column0Name      | column1Name")


def test_unbound_cells_are_empty_and_no_row_is_counted() -> None:
    out = table(ladder(), width=200).splitlines()
    assert out[4].startswith("     |               | cci-2015/job/auditeur-interne")
    assert table(Result(["a", "b"], []), width=80) == "a | b\n--+--\n(0 rows)\n"


def test_csv_quotes_and_keeps_full_iris() -> None:
    rows = list(csv.reader(io.StringIO(as_csv(ladder()))))
    assert rows[0] == ["rank", "levelNotation", "job", "jobLabel", "total"]
    assert rows[2][2] == f"{ID}cci-2015/job/technicien-communication-marketing-web"
    assert rows[2][3] == "Technicien(ne) communication/marketing, web"
    assert rows[3] == ["", "", f"{ID}cci-2015/job/auditeur-interne", "Auditeur(trice) interne",
                       ""]


def test_json_is_sparql_results_with_types_and_languages() -> None:
    doc = json.loads(as_json(ladder()))
    assert doc["head"]["vars"] == ["rank", "levelNotation", "job", "jobLabel", "total"]
    first, _, last = doc["results"]["bindings"]
    assert first["rank"] == {"type": "literal", "value": "1", "datatype": str(XSD.integer)}
    assert first["levelNotation"] == {"type": "literal", "value": "I"}
    assert first["jobLabel"] == {"type": "literal", "value": "Agent des moyens généraux",
                                 "xml:lang": "fr"}
    assert set(last) == {"job", "jobLabel"}  # unbound variables are left out


def test_labelled_table_puts_labels_first_names_iris_and_drops_repeated_rows() -> None:
    from jobgraph.catalogue import Column, StoredQuery
    from jobgraph.results import labelled

    q = StoredQuery("q", path=None, text="", returns=["job", "jobLabel", "referential", "n"],  # type: ignore[arg-type]
                    columns={"job": Column("job", {"fr": "Id. emploi", "en": "Job id"}),
                             "jobLabel": Column("jobLabel", {"fr": "Emploi", "en": "Job"}),
                             "referential": Column("referential", {"fr": "Référentiel"})})
    job = URIRef(f"{ID}cci-2015/job/juriste")
    ref = URIRef(f"{ID}cci-2015")
    row = (job, Literal("Juriste", lang="fr"), ref, Literal(3))
    result = Result(["job", "jobLabel", "referential", "n"], [row, row])
    names = {str(ref): {"fr": "Classification des CCI", "en": "CCI classification"}}
    t = labelled(q, result, lang="en", names=names)
    assert [h.header for h in t.columns] == ["Job", "Job id", "Référentiel", "n"]
    assert [h.name for h in t.columns] == ["jobLabel", "job", "referential", "n"]
    assert t.columns[0].names == "job" and t.columns[1].named_by == "jobLabel"
    assert len(t.rows) == 1  # the same row twice is shown once
    label, short, named, n = t.rows[0]
    assert (label.text, label.iri, label.fallback) == ("Juriste", str(job), True)
    assert (short.text, short.iri) == ("cci-2015/juriste", str(job))
    assert (named.text, named.iri, named.fallback) == ("CCI classification", str(ref), False)
    assert n.text == "3" and t.fallbacks == 1
    out = table(t, width=200)
    assert out.splitlines()[0].split(" | ")[0].strip() == "Job" and "Juriste*" in out
    assert out.endswith("(1 row)\n* the data has no English text here: shown in French (1)\n")
    french = labelled(q, result, lang="fr", names=names)
    assert french.rows[0][2].text == "Classification des CCI" and french.fallbacks == 0
    assert table(french, width=200).endswith("(1 ligne)\n")
