"""The shapes of the JSON API's answers, for the OpenAPI document (``/openapi.json``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Value(_Open):
    """One cell: the text a person reads, the IRI it stands for, the page that shows it."""

    text: str
    iri: str | None = None
    page: str | None = None
    lang: str | None = None
    fallback: bool | None = Field(None, description="shown in French: no text in the language")


class Column(_Open):
    name: str = Field(description="the SPARQL variable")
    header: str = Field(description="the header in the asked language")
    names: str | None = Field(None, description="this column is the label of that column's IRIs")
    namedBy: str | None = None


class Answer(_Open):
    """A stored question's answer, labelled: one object per row, keyed by variable."""

    question: str
    summary: str
    parameters: dict[str, str]
    columns: list[Column]
    rows: list[dict[str, Value]]
    fallbacks: int


class JobRef(_Open):
    iri: str
    id: str
    label: str
    page: str | None = None


class Search(_Open):
    query: str
    jobs: list[dict[str, Any]]
    fiches: list[dict[str, Any]]
    engine: str


class Job(_Open):
    iri: str
    id: str
    label: str
    labelFallback: bool
    otherNames: list[str]
    referential: list[dict[str, Any]]
    sector: list[dict[str, Any]]
    families: list[dict[str, Any]]
    texts: dict[str, list[str]]
    level: dict[str, Any] | None
    national: dict[str, Any] | None
    scores: dict[str, Any]
    competences: list[dict[str, Any]]
    rome: list[dict[str, Any]]
    certifications: list[dict[str, Any]]
    source: dict[str, Any] | None


class JobAnswer(_Open):
    job: dict[str, Any]
    answer: Answer


class Gap(_Open):
    from_: dict[str, Any] = Field(alias="from")
    to: dict[str, Any]
    answer: Answer


class Path(_Open):
    from_: dict[str, Any] = Field(alias="from")
    to: dict[str, Any]
    paths: list[dict[str, Any]]
    drawing: str = Field(description="URL of the paths drawn as SVG")


class Rome(_Open):
    code: str
    fiche: dict[str, Any] | None
    tree: list[dict[str, Any]]
    sections: dict[str, list[dict[str, Any]]]
    jobs: Answer


class Referentials(_Open):
    answer: Answer


class Referential(_Open):
    iri: str
    id: str
    title: str
    sector: dict[str, Any] | None
    levels: list[dict[str, Any]]
    criteria: list[dict[str, Any]]
    families: list[dict[str, Any]]
    counts: list[dict[str, Any]] | None
    ladder: Answer


class Validation(_Open):
    referential: dict[str, Any]
    filters: dict[str, Any]
    counts: dict[str, int]
    rules: list[str]
    total: int
    shown: int
    notes: list[str]
    findings: list[dict[str, Any]]


class Error(BaseModel):
    """An error: a message, or for an unknown job the message and the candidates."""

    detail: str | dict[str, Any]


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Error, "description": "a malformed parameter"},
    404: {"model": Error, "description": "nothing of that name (an unknown job: did-you-mean "
                                         "candidates)"},
}
