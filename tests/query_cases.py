"""Parameter sets of every stored query against the fixture data set ``career.trig``.

The expected rows of each set are in tests/test_queries.py; tests/test_parity.py runs the same
sets on every backend. Values are written as on the command line (``--param name=value``): job
and referential IRIs in full, numbers and language tags as text.
"""

from __future__ import annotations

from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "queries" / "career.trig"

ID = "https://w3id.org/jobgraph/id/"
AGENT = f"{ID}alpha/job/agent"
ASSISTANT = f"{ID}alpha/job/assistant"
ARCHIVISTE = f"{ID}alpha/job/archiviste"
ACCUEIL = f"{ID}beta/job/accueil"
CONSEILLER = f"{ID}beta/job/conseiller"
CHEF = f"{ID}gamma/job/chef"

CASES: dict[str, list[dict[str, str]]] = {
    "career-path": [{}],
    "competence-gap": [
        {"from": AGENT, "to": ASSISTANT},  # one framework, and ROME
        {"from": AGENT, "to": CONSEILLER},  # across frameworks: ROME only
        {"from": ASSISTANT, "to": AGENT},
    ],
    "competence-usage": [
        {},
        {"minJobs": "3"},
        {"framework": f"{ID}alpha/framework/competences", "minJobs": "1", "lang": "en"},
    ],
    "cross-sector-moves": [{"job": AGENT}, {"job": CHEF}, {"job": ACCUEIL, "lang": "en"}],
    "dataset": [{}, {"lang": "en"}],
    "equivalent-jobs": [
        {"job": AGENT},
        {"job": AGENT, "lang": "en"},
        {"job": ACCUEIL},
        {"job": ARCHIVISTE},  # no ROME link: no row
    ],
    "job-profile": [{"job": AGENT}, {"job": AGENT, "lang": "en"}, {"job": ARCHIVISTE}],
    "jobs-by-rome": [{"code": "M1602"}, {"code": "M16"}, {"code": "K"},
                     {"code": "M16", "lang": "en"}],  # the agent has two @en names
    "level-ladder": [{"referential": f"{ID}alpha"}, {"referential": f"{ID}alpha", "lang": "en"}],
    "next-steps": [
        {"job": AGENT},
        {"job": AGENT, "maxSteps": "1"},
        {"job": ASSISTANT},  # a ROME v3 upward move
        {"job": ACCUEIL},  # a lower-level job left out
    ],
    "referential-overview": [{}, {"lang": "en"}],
    "rome-profile": [{"code": "M1601"}, {"code": "K1205"}],
    "unmapped-jobs": [{}, {"referential": f"{ID}alpha"}, {"referential": f"{ID}beta"}],
}
