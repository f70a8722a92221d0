"""Asking a stored question: parameters given as text resolved, typed and bound; rows back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rdflib import Literal
from rdflib.term import Node

from .backends import Backend, Result
from .catalogue import StoredQuery, bindings_for, get_query, typed_value
from .errors import UsageError
from .names import Suggester, resolve_job
from .terms import expand

LANGS = ("fr", "en")


@dataclass
class Answer:
    """A stored question's rows, with the question they answer, the values it was asked with and
    a sentence for people when the answer has one (why it is empty, a coverage figure)."""

    query: StoredQuery
    result: Result
    bindings: dict[str, Node]
    note: str = ""

    @property
    def variables(self) -> list[str]:
        return self.result.variables

    @property
    def rows(self) -> list[tuple[Node | None, ...]]:
        return self.result.rows


def bind_params(backend: Backend, q: StoredQuery, raw: Mapping[str, str | Node], *,
                lang: str = "fr", suggest: Suggester | None = None) -> dict[str, Node]:
    """The values of ``raw`` (text, as typed on a command line or in a form, or RDF terms) as the
    terms the query declares: jobs resolved by name, numbers and IRIs checked; ``lang`` given to
    a query that takes one; defaults filled in."""
    if lang not in LANGS:
        raise UsageError(f"the language must be one of {', '.join(LANGS)}, got {lang[:20]!r}")
    given: dict[str, Node] = {}
    for k, v in raw.items():
        p = q.param(k)
        if p is None:
            known = ", ".join(x.name for x in q.params) or "none"
            raise UsageError(f"query '{q.name}' has no parameter '{k[:60]}' (parameters: {known})")
        if not isinstance(v, str):
            given[k] = v
        elif p.type == "IRI" and p.cls and expand(p.cls).endswith("#Job"):
            given[k] = resolve_job(backend, v, suggest=suggest)
        else:
            given[k] = typed_value(p, v)
    if q.param("lang") is not None and "lang" not in given:
        given["lang"] = Literal(lang)
    return bindings_for(q, given)


def run(backend: Backend, name: str, params: Mapping[str, str | Node] | None = None, *,
        lang: str = "fr", suggest: Suggester | None = None) -> Answer:
    """Run the stored question ``name`` with ``params`` (see ``bind_params``)."""
    q = get_query(name)
    bindings = bind_params(backend, q, params or {}, lang=lang, suggest=suggest)
    if "answer" in q.meta:
        from .careers.answers import ANSWERS  # computed in Python over the graph's facts

        computed = ANSWERS[q.name](backend, bindings, lang, q.answer)
        return Answer(q, computed.result, bindings, computed.note)
    return Answer(q, backend.select(text_for(q, backend), bindings), bindings)


def text_for(q: StoredQuery, backend: Backend) -> str:
    """The text of ``q`` to run on ``backend``: its twin reading the derived graph when the
    backend holds one (same parameters, same rows), else its own."""
    if q.derived is not None:
        from .derive import available

        if available(backend):
            return q.derived
    return q.text


__all__ = ["LANGS", "Answer", "bind_params", "run", "text_for"]
