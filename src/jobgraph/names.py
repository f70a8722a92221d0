"""Naming a job: an IRI, ``<referential>/<id>`` or an unambiguous label (case, accents ignored)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rdflib import URIRef

from .backends import Backend
from .catalogue import internal
from .errors import UsageError
from .namespaces import iri
from .terms import short_id

MAX_NAME = 300  # characters of a job name worth reading; longer ones are cut in messages
_ID_FORM = re.compile(r"^([a-z0-9-]+)/(?:job/)?([A-Za-z0-9._-]+)$")
_BAD_IRI = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f]")


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Case- and accent-folded text with single spaces, for matching labels (kept: the same
    labels are folded again at each answer that sorts them)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@dataclass(frozen=True)
class Candidate:
    """A job offered when a name is ambiguous or unknown."""

    iri: str
    label: str

    @property
    def short(self) -> str:
        return short_id(self.iri)


class UnknownJob(UsageError):
    """A job name that names no job, or several: carries the candidates ("did you mean")."""

    def __init__(self, spec: str, candidates: Sequence[Candidate], *, ambiguous: bool) -> None:
        self.spec = spec[:MAX_NAME]
        self.candidates = list(candidates)
        self.ambiguous = ambiguous
        shown = spec if len(spec) <= MAX_NAME else spec[:MAX_NAME] + "…"
        if candidates:
            lines = "\n".join(f"  {c.short}  {c.label}" for c in self.candidates)
            message = f"job '{shown}' is {'ambiguous' if ambiguous else 'unknown'}; " \
                      f"{'candidates' if ambiguous else 'did you mean'}:\n{lines}"
        else:
            message = f"job '{shown}' is unknown (name it by IRI, <referential>/<id> or its label)"
        super().__init__(message)


# Who offers candidates for an unknown name (free-text search, when it is there): text -> IRIs
Suggester = Callable[[str, int], list[str]]


def resolve_job(backend: Backend, spec: str, *, suggest: Suggester | None = None) -> URIRef:
    """The job named by ``spec``; UnknownJob (a UsageError) with candidates otherwise.

    An IRI or ``<referential>/<id>`` (also ``<referential>/job/<id>``) is looked up alone; a
    label is matched case- and accent-blind, exactly, then as a part of one label.
    """
    if not spec.strip():
        raise UsageError("a job name is empty")
    named = [spec] if re.match(r"^https?://", spec) else []
    m = _ID_FORM.match(spec)
    if m:
        named.append(str(iri(m.group(1), "job", m.group(2))))
    exists = internal("job-exists")
    for candidate in named:
        if not _BAD_IRI.search(candidate) and \
                backend.select(exists.text, {"job": URIRef(candidate)}).rows:
            return URIRef(candidate)
    labels: dict[str, set[str]] = {}
    for job, label in backend.select(internal("job-labels").text).rows:
        labels.setdefault(str(job), set())
        if label is not None:
            labels[str(job)].add(str(label))
    wanted = fold(spec)
    exact = sorted(j for j, ls in labels.items() if any(fold(x) == wanted for x in ls))
    if len(exact) == 1:
        return URIRef(exact[0])
    if len(exact) > 1:
        raise UnknownJob(spec, _candidates(exact, labels), ambiguous=True)
    near = sorted(j for j, ls in labels.items()
                  if any(wanted in fold(x) for x in ls) or wanted in fold(j))
    if len(near) == 1:
        return URIRef(near[0])
    if near:
        raise UnknownJob(spec, _candidates(near[:15], labels), ambiguous=True)
    offered = [j for j in (suggest(spec, 5) if suggest else []) if j in labels]
    raise UnknownJob(spec, _candidates(offered, labels), ambiguous=False)


def _candidates(jobs: list[str], labels: dict[str, set[str]]) -> list[Candidate]:
    return [Candidate(j, sorted(labels.get(j) or {""})[0]) for j in jobs]


__all__ = ["Candidate", "Suggester", "UnknownJob", "fold", "resolve_job"]
