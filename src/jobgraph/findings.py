"""What validation finds: a finding (severity, rule, message, where to fix it) and the report."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from .namespaces import SH

SEVERITIES = ("violation", "warning", "info")
SEVERITY_OF = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
SEVERITY_IRI = {v: k for k, v in SEVERITY_OF.items()}
LANGS = ("fr", "en")
# the key of a text written without saying its language (a plain ``reason:``)
UNSTATED = ""


def in_lang(texts: dict[str, str], lang: str) -> tuple[str | None, str | None]:
    """The text of ``texts`` (language → text) to show in ``lang``, and the language it is
    written in when that is not ``lang`` (``UNSTATED`` when the text does not say); (None, None)
    when there is no text."""
    if lang in texts:
        return texts[lang], None
    for other in (*LANGS, UNSTATED):
        if other in texts:
            return texts[other], other
    return None, None


class Note(str):
    """A note of a report: English text (the ``str``) carrying its French translation."""

    fr: str

    def __new__(cls, en: str, fr: str | None = None) -> Note:
        note = super().__new__(cls, en)
        note.fr = fr if fr is not None else en
        return note

    def text(self, lang: str = "fr") -> str:
        return self.fr if lang == "fr" else str(self)


def note_text(note: str, lang: str) -> str:
    """A report note in ``lang``: its translation when it carries one."""
    return note.text(lang) if isinstance(note, Note) else str(note)


@dataclass
class Finding:
    """One thing wrong (or worth knowing) about the data, with where to fix it.

    ``message`` and ``expected`` are French, ``message_en`` and ``expected_en`` English (the
    French one is shown when there is no English). ``accepted`` is the maintainer's reason when
    the finding is acknowledged (French when written in French, else as written); ``reasons``
    holds it by language (``UNSTATED`` for a reason written without its language), ``cause`` the
    entry's short cause, used to count accepted findings.
    """

    severity: str
    rule: str
    rule_name: str
    message: str
    message_en: str
    focus: str | None = None
    label: str | None = None
    path: str | None = None
    value: str | None = None
    expected: str | None = None
    source: str | None = None
    referential: str | None = None
    kind: str = "shacl"
    accepted: str | None = None
    expected_en: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)
    cause: dict[str, str] = field(default_factory=dict)

    def text(self, lang: str = "fr") -> str:
        return self.message_en if lang == "en" and self.message_en else self.message

    def expected_text(self, lang: str = "fr") -> str | None:
        return self.expected_en if lang == "en" and self.expected_en else self.expected

    def reason(self, lang: str = "fr") -> tuple[str | None, str | None]:
        """The acceptance reason in ``lang`` and, when it is written in another language only, that
        language (``UNSTATED`` when the entry does not say which)."""
        if not self.accepted:
            return None, None
        if not self.reasons:
            return self.accepted, UNSTATED
        return in_lang(self.reasons, lang)

    def accept(self, reasons: dict[str, str], cause: dict[str, str] | None = None) -> None:
        """Mark the finding accepted with the maintainer's reasons (language → text)."""
        self.reasons = dict(reasons)
        self.cause = dict(cause or {})
        self.accepted = in_lang(self.reasons, "fr")[0] or ""

    def sort_key(self) -> tuple[str, str, int, str, str]:
        return (self.referential or "~", self.focus or "", SEVERITIES.index(self.severity),
                self.rule, self.value or "")

    def to_json(self, lang: str = "fr") -> dict[str, Any]:
        """The finding as the JSON report writes it: texts in ``lang``; ``accepted_lang`` says in
        which language the reason is written when that is not ``lang`` (null: not stated)."""
        d = asdict(self)
        for key in ("message_en", "expected_en", "reasons", "cause"):
            d.pop(key)
        d["message"] = self.text(lang)
        d["expected"] = self.expected_text(lang)
        reason, written_in = self.reason(lang)
        d["accepted"] = reason
        if reason is not None and written_in is not None:
            d["accepted_lang"] = written_in or None
        return d


@dataclass
class AcceptedCount:
    """The accepted findings of one rule in one referential: how many, on how many resources,
    and their causes (cause text in the report's language → resources)."""

    referential: str
    rule: str
    findings: int
    items: int
    causes: dict[str, int]


@dataclass
class ValidationReport:
    findings: list[Finding] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reasoned: bool = False

    def counts(self) -> dict[str, int]:
        c = Counter(f.severity for f in self.findings if not f.accepted)
        return {s: c.get(s, 0) for s in SEVERITIES} | {
            "accepted": sum(1 for f in self.findings if f.accepted)}

    def per_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(f.rule for f in self.findings).items()))

    def conforms(self, fail_on: str = "violation") -> bool:
        failing = {"violation"} if fail_on == "violation" else {"violation", "warning"}
        return not any(f.severity in failing and not f.accepted for f in self.findings)

    def to_fix(self) -> list[Finding]:
        return [f for f in self.findings if not f.accepted]

    def accepted_counts(self, lang: str = "fr") -> list[AcceptedCount]:
        """One count per referential and rule of the accepted findings, sorted."""
        groups: dict[tuple[str, str], list[Finding]] = {}
        for f in self.findings:
            if f.accepted:
                groups.setdefault((f.referential or "", f.rule), []).append(f)
        out = []
        for (ref, rule), items in sorted(groups.items()):
            foci = {f.focus for f in items}
            causes: dict[str, set[str | None]] = {}
            for f in items:
                cause = in_lang(f.cause, lang)[0]
                if cause:
                    causes.setdefault(cause, set()).add(f.focus)
            out.append(AcceptedCount(ref, rule, len(items), len(foci),
                                     {c: len(s) for c, s in sorted(causes.items())}))
        return out

    def to_json(self, lang: str = "fr", fail_on: str = "violation") -> dict[str, Any]:
        findings = [f.to_json(lang) for f in sorted(self.findings, key=Finding.sort_key)]
        return {"conforms": self.conforms(fail_on),
                "summary": {"counts": self.counts(), "rules": self.per_rule(),
                            "accepted": [asdict(a) for a in self.accepted_counts(lang)],
                            "reasoned": self.reasoned,
                            "notes": [note_text(n, lang) for n in self.notes],
                            "seconds": {k: round(v, 3) for k, v in self.timings.items()}},
                "findings": findings}


def dedupe(findings: list[Finding]) -> list[Finding]:
    """Each finding once: the same rule, focus, path, value, expectation and message."""
    seen: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        seen.setdefault((f.rule, f.focus, f.path, f.value, f.expected, f.message), f)
    return list(seen.values())


__all__ = ["LANGS", "SEVERITIES", "SEVERITY_IRI", "SEVERITY_OF", "UNSTATED", "AcceptedCount",
           "Finding", "Note", "ValidationReport", "dedupe", "in_lang", "note_text"]
