"""Synthetic curated data of realistic shape, at a multiple of the shipped referentials' size.

    .venv/bin/python -m benchmarks.generate OUT_DIR [--scale 10] [--seed 0] [--link-rome]

Writes ``OUT_DIR/data``: ``5 × scale`` referential folders in the curated format of data/README.md
(referential.yaml, jobs.yaml, competences.yaml, rome.csv), plus a copy of ``cnc-2019`` (the scale
every level aligns to) and of ``rome`` (or a symlink with ``--link-rome``). Each referential is
modelled on one of the shipped kinds, drawn at random: a grade grid with criteria and score bands
(like cci-2015), a coefficient grid with families (like photographie-2024), or a cotation grid
with competence domains, key and new competences and ladders (like missions-locales). Job labels
are ROME appellations of one or two grands domaines (the referential's sector), linked to their
fiche; so jobs of different referentials share fiches the way real ones do. Five synthetic
referentials have about the triples of the five shipped ones (≈ 11k), and the data is meant to
validate without violation. Referential ``i`` depends only on ``seed`` and ``i``: ×10 holds the
referentials of ×1.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import re
import shutil
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_DATA = ROOT / "data"
REFERENTIALS_PER_SCALE = 5

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
KINDS = (("grid", 0.4), ("coefficient", 0.3), ("cotation", 0.3))
CRITERIA = [
    ("connaissances", "Connaissances"), ("autonomie", "Autonomie"),
    ("complexite", "Complexité"), ("relations", "Relations"),
    ("responsabilites", "Responsabilités"), ("animation", "Animation d'équipe"),
]
VERBS = ["Organiser", "Contrôler", "Préparer", "Assurer", "Suivre", "Réaliser", "Coordonner",
         "Conseiller", "Analyser", "Gérer", "Accueillir", "Rédiger", "Planifier", "Vérifier",
         "Animer", "Mettre en œuvre", "Évaluer", "Superviser", "Proposer", "Transmettre"]
OBJECTS = ["les opérations courantes du service", "les dossiers des clients",
           "la qualité des prestations", "les plannings de l'équipe",
           "les stocks et les approvisionnements", "les relations avec les partenaires",
           "le budget de l'activité", "les procédures d'hygiène et de sécurité",
           "la documentation technique", "les demandes des usagers",
           "les indicateurs de production", "les réunions de suivi",
           "l'entretien des équipements", "les comptes rendus d'intervention",
           "la formation des nouveaux arrivants", "les réclamations",
           "les contrôles réglementaires", "les projets d'amélioration continue"]
MANNERS = ["", " dans le respect des consignes", " en lien avec sa hiérarchie",
           " selon les procédures de l'établissement", " en autonomie",
           " avec les services concernés"]
REQUIREMENTS = ["Maîtriser les outils bureautiques courants.",
                "Appliquer les procédures propres à son champ d'action.",
                "Avoir le sens du service et un bon relationnel.",
                "Savoir hiérarchiser les priorités.",
                "Connaître la réglementation applicable au secteur.",
                "Encadrer une petite équipe.",
                "Rendre compte de son activité à sa hiérarchie.",
                "Faire preuve de rigueur et d'organisation."]
SKILL_OBJECTS = ["un accueil de qualité", "un dossier administratif", "un projet",
                 "une équipe", "un budget", "un planning", "une intervention technique",
                 "une relation client", "un partenariat", "une démarche qualité",
                 "un outil numérique", "une action de formation", "un contrôle",
                 "une veille réglementaire", "un entretien", "une production"]


@dataclass(frozen=True)
class Appellation:
    label: str
    short: str
    code: str  # the ROME fiche


@dataclass
class Rome:
    """What the generator takes from ROME: fiches, their appellations, the trees' labels."""

    fiches: dict[str, str] = field(default_factory=dict)
    appellations: dict[str, list[Appellation]] = field(default_factory=dict)  # by grand domaine
    grands_domaines: dict[str, str] = field(default_factory=dict)
    domaines: dict[str, str] = field(default_factory=dict)


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_rome(rome_dir: Path) -> Rome:
    """Fiche codes from the ROME 4.0 code file; appellations and labels where the files are."""
    v = rome_dir / "v460"
    rome = Rome()
    for row in _csv(v / "unix_referentiel_code_rome_v460_utf8.csv"):
        rome.fiches[row["code_rome"]] = row["libelle_rome"]
    by_gd: dict[str, list[Appellation]] = defaultdict(list)
    app_file = v / "unix_referentiel_appellation_v460_utf8.csv"
    if app_file.exists():
        for row in _csv(app_file):
            if row["code_rome"] in rome.fiches:
                by_gd[row["code_rome"][0]].append(Appellation(
                    row["libelle_appellation_long"], row["libelle_appellation_court"],
                    row["code_rome"]))
    else:  # the fiche titles alone
        for code, label in rome.fiches.items():
            by_gd[code[0]].append(Appellation(label, label, code))
    rome.appellations = {g: sorted(a, key=lambda x: (x.code, x.label)) for g, a in by_gd.items()}
    gd_file = v / "unix_grand_domaine_v460_utf8.csv"
    if gd_file.exists():
        rome.grands_domaines = {r["code_grand_domaine"]: r["libelle_grand_domaine"]
                                for r in _csv(gd_file)}
    dp_file = v / "unix_domaine_professionnel_v460_utf8.csv"
    if dp_file.exists():
        rome.domaines = {r["code_domaine_professionnel"]: r["libelle_domaine_professionnel"]
                         for r in _csv(dp_file)}
    return rome


def slug(text: str, limit: int = 48) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    ascii_ = "".join(c for c in folded if not unicodedata.combining(c))
    s = re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-")
    return s[:limit].rstrip("-") or "x"


def _clean(text: str) -> str:
    return " ".join(text.split())


# --- one referential -----------------------------------------------------------------------------

@dataclass
class Generated:
    """The files' contents of one referential folder."""

    ident: str
    referential: dict[str, Any]
    jobs: list[dict[str, Any]]
    competences: dict[str, Any] | None
    rome_rows: list[list[str]]


def _kind(rng: random.Random) -> str:
    x = rng.random()
    for kind, weight in KINDS:
        if x < weight:
            return kind
        x -= weight
    return KINDS[-1][0]


def referential(index: int, rome: Rome, seed: int = 0) -> Generated:
    """Referential number ``index``: the same for the same seed, whatever the scale."""
    rng = random.Random(f"{seed}:{index}")
    rid = f"synth-{index:04d}"
    kind = _kind(rng)
    gds = sorted(g for g in rome.appellations if len(rome.appellations[g]) >= 40)
    gd = rng.choice(gds)
    gd_label = rome.grands_domaines.get(gd, f"Grand domaine {gd}")
    variant = rng.randint(1, 3)

    # levels: 6 to 10, aligned to the national framework by rank
    n_levels = rng.randint(6, 10)
    if kind == "grid":
        ids = ROMAN[:n_levels]
        scale_kind, scale_id = "grade", "grades"
    elif kind == "coefficient":
        start, step = rng.choice([(150, 10), (160, 15), (200, 25), (110, 5)])
        ids = [str(start + i * step) for i in range(n_levels)]
        scale_kind, scale_id = "coefficient", "coefficients"
    else:
        start = rng.randint(1, 4)
        ids = [str(start + sum(1 + (i % 2) for i in range(k))) for k in range(n_levels)]
        scale_kind, scale_id = "cotation", "cotations"
    criteria: list[dict[str, Any]] = []
    bands: list[tuple[int, int]] = []
    max_value = 0
    if kind == "grid":
        n_crit = rng.randint(4, 5)
        max_value = rng.randint(5, 8)
        for r, (cid, clabel) in enumerate(CRITERIA[:n_crit], 1):
            criteria.append({"id": cid, "label": clabel, "min": 1, "max": max_value, "rank": r,
                             "line": 10 + r})
        lo, hi = n_crit, n_crit * max_value
        span = hi - lo + 1
        bands = [(lo + (r * span) // n_levels, lo + ((r + 1) * span) // n_levels - 1)
                 for r in range(n_levels)]
    levels = []
    for r, lid in enumerate(ids):
        target = min(8, 2 + (r * 6) // max(1, n_levels - 1))
        level: dict[str, Any] = {
            "id": lid, "notation": lid, "rank": r + 1,
            "label": f"Niveau {lid}" if kind == "grid" else f"{scale_kind.capitalize()} {lid}",
            "definition": _clean(f"Emplois de niveau {lid} : {rng.choice(VERBS).lower()} "
                                 f"{rng.choice(OBJECTS)}{rng.choice(MANNERS)}, avec une autonomie "
                                 f"de degré {r + 1} sur {n_levels}."),
        }
        if bands:
            level["min_total"], level["max_total"] = bands[r]
        level["aligned_to"] = {"level": f"cnc-2019/{target}", "basis": "estimate",
                               "note": f"Rang {r + 1} sur {n_levels}, aligné par sa place dans "
                                       "la grille (donnée synthétique)."}
        level["line"] = 20 + 3 * r
        levels.append(level)

    # job titles: appellations of the sector's grand domaine, some of a second one
    pool = list(rome.appellations[gd])
    other = rng.choice([g for g in gds if g != gd])
    pool += rng.sample(rome.appellations[other], min(len(rome.appellations[other]),
                                                     max(5, len(pool) // 6)))
    n_jobs = rng.randint(*{"grid": (30, 50), "coefficient": (40, 60),
                           "cotation": (30, 45)}[kind])
    chosen = rng.sample(pool, min(n_jobs, len(pool)))

    # families: one per ROME domaine of the chosen titles (at most 8), nested under 1–2 filières
    domains = sorted({a.code[:3] for a in chosen})
    rng.shuffle(domains)
    fam_domains = domains[:8]
    families: list[dict[str, Any]] = []
    n_top = 1 if len(fam_domains) < 4 else 2
    for t in range(n_top):
        families.append({"id": f"filiere-{t + 1}", "label": f"Filière {t + 1} : {gd_label}",
                         "kind": "filière", "line": 5 + t})
    fam_of_domain: dict[str, str] = {}
    for i, d in enumerate(fam_domains):
        fid = f"famille-{slug(d)}"
        fam_of_domain[d] = fid
        families.append({"id": fid, "label": rome.domaines.get(d, f"Famille {d}"),
                         "kind": "famille", "broader": f"filiere-{i % n_top + 1}", "line": 8 + i})

    # competences (cotation referentials, and half the grids): domains of skills
    comp_doc: dict[str, Any] | None = None
    skills: list[str] = []
    if kind == "cotation" or (kind == "grid" and rng.random() < 0.5):
        comps: list[dict[str, Any]] = []
        for k in range(1, rng.randint(6, 9) + 1):
            comps.append({"id": f"d{k}", "framework": "domaines", "kind": "domain",
                          "notation": str(k), "label": f"Domaine {k} : {rng.choice(OBJECTS)}",
                          "line": 100 + k})
            for s in range(1, rng.randint(3, 6) + 1):
                sid = f"d{k}.{s}"
                skills.append(sid)
                comps.append({"id": sid, "framework": "domaines", "kind": "skill",
                              "notation": f"{k}.{s}", "broader": f"d{k}",
                              "label": f"{rng.choice(VERBS)} {rng.choice(SKILL_OBJECTS)}",
                              "line": 100 + k})
        comp_doc = {"frameworks": [{"id": "domaines", "title": "Domaines de compétences",
                                    "notation_pattern": r"^[1-9](\.[0-9]+)?$"}],
                    "competences": comps}

    # jobs, grouped by family; in a family, levels rise along the ladder
    by_family: dict[str, list[Appellation]] = defaultdict(list)
    for a in chosen:
        by_family[fam_of_domain.get(a.code[:3], families[-1]["id"])].append(a)
    jobs: list[dict[str, Any]] = []
    rome_rows: list[list[str]] = []
    used_ids: set[str] = set()
    line = 1
    for fid in sorted(by_family):
        members = by_family[fid]
        ranks = sorted(rng.choices(range(n_levels), k=len(members)))
        previous: dict[str, Any] | None = None
        for a, r in zip(members, ranks, strict=True):
            jid = slug(a.label)
            while jid in used_ids:
                jid = f"{jid}-{len(used_ids)}"
            used_ids.add(jid)
            job: dict[str, Any] = {"id": jid, "label": _clean(a.label)}
            if a.short != a.label and rng.random() < 0.3:
                job["alt_labels"] = [_clean(a.short)]
            job["missions"] = [_clean(f"{v} {o}{rng.choice(MANNERS)}.") for v, o in zip(
                rng.sample(VERBS, 3), rng.sample(OBJECTS, 3), strict=True)][:rng.randint(2, 3)]
            job["requirements"] = rng.sample(REQUIREMENTS, rng.randint(1, 2))
            job["families"] = [fid]
            job["level"] = ids[r]
            if criteria:
                lo, hi = bands[r]
                total = rng.randint(lo, hi)
                scores = {c["id"]: 1 for c in criteria}
                for _ in range(total - len(criteria)):
                    room = [c for c in scores if scores[c] < max_value]
                    scores[rng.choice(room)] += 1
                job["scores"] = scores
            if skills:
                if previous is not None and "requires" in previous:
                    rest = [s for s in skills if s not in previous["requires"]]
                    new = rng.sample(rest, min(len(rest), rng.randint(1, 2)))
                    job["requires"] = sorted(set(previous["requires"]) | set(new))
                    if new and ranks_differ(previous, job, ids):
                        job["requires_new"] = sorted(new)
                else:
                    job["requires"] = sorted(rng.sample(skills, rng.randint(2, 4)))
                job["requires_key"] = sorted(rng.sample(job["requires"], 1))
            if r <= 1 and rng.random() < 0.1:
                job["maximum_tenure"] = "P6M"
            job["line"] = line
            line += rng.randint(20, 40)
            if previous is not None and ranks_differ(previous, job, ids) and rng.random() < 0.85:
                previous["progresses_to"] = [{"job": jid, "basis": "ladder"}]
            jobs.append(job)
            relation = rng.choice(["exactMatch", "exactMatch", "closeMatch"])
            rome_rows.append([jid, a.code, relation, rng.choice(["curation"] * 4 + ["document"]),
                              f"appellation « {a.label} » de la fiche {a.code}"])
            if rng.random() < 0.3:
                near = [c for c in rome.fiches if c[:3] == a.code[:3] and c != a.code]
                if near:
                    code = rng.choice(sorted(near))
                    rome_rows.append([jid, code, rng.choice(["relatedMatch", "broadMatch"]),
                                      "curation", f"activité voisine : fiche {code}"])
            previous = job
    _drop_new_without_step(jobs)

    ref: dict[str, Any] = {
        "id": rid,
        "title": f"Classification synthétique {index:04d} : {gd_label}",
        "title_en": f"Synthetic job classification {index:04d}",
        "issued": dt.date(2010 + index % 15, 1 + index % 12, 1 + index % 28),
        "publisher": f"Branche synthétique {index:04d}",
        "source": {"title": f"Accord de classification synthétique n° {index:04d}"},
        "sector": {"id": f"synth-{gd.lower()}-{variant}",
                   "label": f"{gd_label} (secteur synthétique {variant})",
                   "label_en": f"Synthetic sector {gd}{variant}"},
    }
    if rng.random() < 0.5:
        ref["idcc"] = f"{rng.randint(1000, 9999)}"
    ref["note"] = (f"Synthetic referential written by benchmarks/generate.py (seed {seed}, "
                   f"index {index}, kind {kind}); not a real document.")
    scale: dict[str, Any] = {"id": scale_id, "kind": scale_kind,
                             "label": f"Grille synthétique {index:04d}"}
    if bands:
        scale["band_basis"] = "partition of the possible totals into the levels (synthetic data)"
    scale["levels"] = levels
    ref["scale"] = scale
    if criteria:
        ref["criteria"] = criteria
    ref["families"] = families
    return Generated(rid, ref, jobs, comp_doc, rome_rows)


def ranks_differ(previous: dict[str, Any], job: dict[str, Any], ids: list[str]) -> bool:
    return bool(ids.index(job["level"]) > ids.index(previous["level"]))


def _drop_new_without_step(jobs: list[dict[str, Any]]) -> None:
    """``requires_new`` only where a progression leads to the job."""
    reached = {p["job"] for j in jobs for p in j.get("progresses_to", [])}
    for j in jobs:
        if j["id"] not in reached:
            j.pop("requires_new", None)


# --- writing -------------------------------------------------------------------------------------

def _dump(doc: Any, path: Path, header: str) -> None:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(doc, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(f"# {header}\n{text}", encoding="utf-8")


def write_referential(g: Generated, data_dir: Path) -> None:
    folder = data_dir / g.ident
    folder.mkdir(parents=True, exist_ok=True)
    _dump(g.referential, folder / "referential.yaml", "Synthetic referential (benchmarks)")
    _dump({"jobs": g.jobs}, folder / "jobs.yaml", "Synthetic jobs (benchmarks)")
    if g.competences is not None:
        _dump(g.competences, folder / "competences.yaml", "Synthetic competences (benchmarks)")
    with (folder / "rome.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["job", "rome", "relation", "basis", "rationale"])
        w.writerows(g.rome_rows)


@dataclass
class Summary:
    data_dir: Path
    referentials: int
    jobs: int
    rome_links: int


def generate(out_dir: Path, *, scale: float = 1, seed: int = 0, rome_dir: Path | None = None,
             link_rome: bool = False, with_rome: bool = True) -> Summary:
    """Write ``out_dir/data`` with ``5 × scale`` synthetic referentials; return what it holds.

    ``with_rome=False`` leaves ROME out of the folder (its codes are still read from
    ``rome_dir``), for a quick check of the curated part alone.
    """
    rome_dir = rome_dir or SHIPPED_DATA / "rome"
    data_dir = Path(out_dir) / "data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    shutil.copytree(SHIPPED_DATA / "cnc-2019", data_dir / "cnc-2019")
    if with_rome:
        if link_rome:
            (data_dir / "rome").symlink_to(rome_dir.resolve(), target_is_directory=True)
        else:
            shutil.copytree(rome_dir, data_dir / "rome")
    rome = read_rome(rome_dir)
    n = max(1, round(REFERENTIALS_PER_SCALE * scale))
    jobs = links = 0
    for i in range(1, n + 1):
        g = referential(i, rome, seed)
        write_referential(g, data_dir)
        jobs += len(g.jobs)
        links += len(g.rome_rows)
    return Summary(data_dir, n, jobs, links)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="folder to write (its data/ sub-folder is replaced)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiple of the shipped referentials (5 synthetic referentials each)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--link-rome", action="store_true", help="symlink data/rome instead of copying")
    args = ap.parse_args(argv)
    s = generate(Path(args.out), scale=args.scale, seed=args.seed, link_rome=args.link_rome)
    sys.stdout.write(f"{s.data_dir}: {s.referentials} referentials, {s.jobs} jobs, "
                     f"{s.rome_links} ROME links\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
