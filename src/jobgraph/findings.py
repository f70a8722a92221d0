"""What validation finds: a finding (severity, rule, message, where to fix it) and the report."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from .namespaces import SH

SEVERITIES = ("violation", "warning", "info")
SEVERITY_OF = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
SEVERITY_IRI = {v: k for k, v in SEVERITY_OF.items()}


@dataclass
class Finding:
    """One thing wrong (or worth knowing) about the data, with where to fix it."""

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

    def text(self, lang: str = "fr") -> str:
        return self.message_en if lang == "en" and self.message_en else self.message

    def sort_key(self) -> tuple[str, str, int, str, str]:
        return (self.referential or "~", self.focus or "", SEVERITIES.index(self.severity),
                self.rule, self.value or "")


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

    def to_json(self, lang: str = "fr", fail_on: str = "violation") -> dict[str, Any]:
        findings = []
        for f in sorted(self.findings, key=Finding.sort_key):
            d = asdict(f)
            d["message"] = f.text(lang)
            d.pop("message_en")
            findings.append(d)
        return {"conforms": self.conforms(fail_on),
                "summary": {"counts": self.counts(), "rules": self.per_rule(),
                            "reasoned": self.reasoned, "notes": self.notes,
                            "seconds": {k: round(v, 3) for k, v in self.timings.items()}},
                "findings": findings}


def dedupe(findings: list[Finding]) -> list[Finding]:
    """Each finding once: the same rule, focus, path, value, expectation and message."""
    seen: dict[tuple[Any, ...], Finding] = {}
    for f in findings:
        seen.setdefault((f.rule, f.focus, f.path, f.value, f.expected, f.message), f)
    return list(seen.values())


__all__ = ["SEVERITIES", "SEVERITY_IRI", "SEVERITY_OF", "Finding", "ValidationReport", "dedupe"]
