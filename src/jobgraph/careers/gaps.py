"""Competence gap from one job to another, ranked and grouped: the referentials' own competences
first (key and new ones leading), then the ROME items of the target's fiches grouped by category,
the most specific first; items the source already has under another code are no gap."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from rdflib import URIRef

from ..backends import Backend
from ..catalogue import internal
from ..names import fold
from ..suggest import normalise, stems
from .facts import Certification, Facts, Item, JobFacts, OwnCompetence


@dataclass
class OwnGap:
    """A competence of a referential's framework the target requires and the source does not."""

    competence: OwnCompetence


@dataclass
class RomeGap:
    """A ROME item the target's fiches list and the source's do not."""

    item: Item
    required_by: list[str]  # codes of the target's fiches listing it
    spread: int  # how many ROME fiches list it (fewer: more specific)


@dataclass
class RomeGroup:
    """The ROME gaps of one category (« Savoir-faire : Technique »), most specific first."""

    category: str
    gaps: list[RomeGap] = field(default_factory=list)


@dataclass
class GapAnswer:
    """What ``target`` needs that ``source`` lacks, with the coverage and the certifications that
    help."""

    source: JobFacts
    target: JobFacts
    own: list[OwnGap]
    groups: list[RomeGroup]
    covered: int  # items of the target's fiches the source already has
    listed: int  # items of the target's fiches
    certifications: list[tuple[Certification, str]]  # with the reason it helps

    def coverage_text(self, lang: str = "fr") -> str:
        if lang == "fr":
            return (f"{self.source.label} a déjà {self.covered} des {self.listed} éléments que "
                    f"listent les fiches ROME de {self.target.label}")
        return (f"{self.source.label} already has {self.covered} of the {self.listed} items the "
                f"ROME fiches of {self.target.label} list")


KIND_ORDER = {"skill": 0, "competence": 0, "knowledge": 1, "attitude": 2}


def _order(c: OwnCompetence) -> tuple[int, int, list[tuple[int, str]], tuple[str, int], str]:
    """Key competences first, then new ones, then by notation (2.10 after 2.9), then in the
    order the source defines them (competences without notation: the IT sheets')."""
    parts = [(int(p), "") if p.isdigit() else (0, p) for p in c.notation.split(".")]
    return (0 if c.key else 1, 0 if c.new else 1, parts, c.place, c.iri)


COVERED = 0.6  # share of an item's words found in one thing the source has: it has the item


@lru_cache(maxsize=65_536)
def _words(text: str) -> frozenset[str]:
    """The content words of a competence's wording, lightly stemmed (``suggest.normalise``);
    kept, since the same wordings come back at each gap a server answers."""
    return frozenset(stems(normalise(text)))


class Holdings:
    """What the source job is known to have: its own competences, its fiches' ROME items, its
    missions; an item is held when it is one of them, or when most of its words are in one of
    them (the same competence worded otherwise: « Rigueur » in « Faire preuve d'organisation et
    de rigueur »)."""

    def __init__(self, facts: Facts, job: str) -> None:
        j = facts.jobs[job]
        self.iris = set(facts.competences.get(job, {})) | set(facts.items_of(job))
        texts = [c.label for c in facts.competences.get(job, {}).values()]
        texts += [i.label for x in j.links if x.fiche in facts.fiches
                  for i in facts.fiches[x.fiche].items.values()]
        texts += j.missions
        # each word → the things held that have it: an item's overlap with every one of them
        # is counted in one pass over its own words
        self.by_word: dict[str, list[int]] = {}
        for n, words in enumerate(w for w in (_words(t) for t in texts) if w):
            for word in words:
                self.by_word.setdefault(word, []).append(n)

    def has(self, iri: str, label: str) -> bool:
        if iri in self.iris:
            return True
        words = _words(label)
        if not words:
            return False
        shared: dict[int, int] = {}
        for word in words:
            for n in self.by_word.get(word, ()):
                shared[n] = shared.get(n, 0) + 1
                if shared[n] / len(words) >= COVERED:
                    return True
        return False


def competence_gap(facts: Facts, backend: Backend, source: str, target: str, *,
                   spread: dict[str, int] | None = None) -> GapAnswer:
    """The gap from the job ``source`` to the job ``target`` (IRIs). ``spread``: how many ROME
    fiches list each item of the target's fiches, when already known (the derived graph's
    counts); else asked of ``backend``."""
    src, dst = facts.jobs[source], facts.jobs[target]
    held = Holdings(facts, source)
    need = facts.competences.get(target, {})
    own = [OwnGap(c) for c in sorted(need.values(), key=_order) if not held.has(c.iri, c.label)]
    if spread is None:
        spread = {str(item): int(str(n)) for item, n in backend.select(
            internal("item-spread").text, {"job": URIRef(target)}).rows}
    required: dict[str, list[str]] = defaultdict(list)
    items: dict[str, Item] = {}
    for link in dst.links:
        fiche = facts.fiches.get(link.fiche)
        if fiche is None:
            continue
        for iri, item in fiche.items.items():
            required[iri].append(fiche.code)
            items[iri] = item
    covered = 0
    by_category: dict[str, list[RomeGap]] = defaultdict(list)
    for iri, item in items.items():
        # the same item, or the same competence worded otherwise: the source has it
        if held.has(iri, item.label):
            covered += 1
            continue
        if not src.links:
            continue  # nothing of ROME is known of the source: no ROME gap can be told
        by_category[item.category or item.kind].append(
            RomeGap(item, sorted(set(required[iri])), spread.get(iri, 0)))
    groups = []
    for category, gaps in by_category.items():
        gaps.sort(key=lambda g: (g.spread, fold(g.item.label)))
        groups.append(RomeGroup(category, gaps))
    # what the person will do first (savoir-faire), then what to know (savoirs), the
    # behaviours (savoir-être, on most fiches) last; among groups of a kind, the one holding the
    # most specific item first
    groups.sort(key=lambda g: (KIND_ORDER.get(g.gaps[0].item.kind, 1), g.gaps[0].spread,
                               g.category))

    missing_own = {g.competence.iri for g in own}
    codes = {facts.fiches[link.fiche].code for link in dst.links if link.fiche in facts.fiches}
    helps = []
    for cert in facts.certifications:
        if target in cert.gives_access_to:
            helps.append((cert, "access"))
        elif cert.certifies & missing_own:
            helps.append((cert, "certifies"))
        elif cert.rome_codes & codes and source not in cert.gives_access_to:
            helps.append((cert, "rome"))
    return GapAnswer(src, dst, own, groups, covered, len(items), helps)


__all__ = ["GapAnswer", "OwnGap", "RomeGap", "RomeGroup", "competence_gap"]
