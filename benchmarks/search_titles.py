"""The job-title test set of `jobgraph search`: evaluation/search-titles.csv, made from files of the
repository (the ESCO–ROME crosswalk, the referentials' jobs and rome.csv) plus the hand-written rows
the file already holds.

    .venv/bin/python -m benchmarks.search_titles [--hand FILE]

Rows whose source is ``hand`` are kept as they are (``--hand FILE`` adds rows
``title|codes|note`` to them); the ESCO and referential rows are written again from the data.
``leave_out`` lists the jobs whose labels are the title (once folded): the engine indexes job
labels, so they are left out when the row is measured. A title whose folded
form equals a folded form of a ROME appellation is dropped (the engine indexes appellations), and
the split follows the rule of evaluation/README.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import unicodedata
import zlib
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
OUT = ROOT / "evaluation" / "search-titles.csv"
V460 = DATA / "rome" / "v460"
ESCO = DATA / "rome" / "esco" / "FR_20230607_mapping_esco_rome.csv"
REFERENTIALS = ("cci-2015", "informatique", "missions-locales", "photographie-2024", "tp-cagea")
COLUMNS = ("title", "expected", "source", "split", "leave_out", "note")


def folded(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: the comparison that decides a duplicate."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("œ", "oe"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def forms(label: str) -> set[str]:
    """The folded forms a label stands for: itself, and each side of a gender pair.

    "Chargé / Chargée d'accueil" stands for "chargé d'accueil" and "chargée d'accueil" (the left
    side names the masculine words, the right side the feminine ones and the rest); "Chargé(e)"
    for "chargé".
    """
    out = {folded(label), folded(re.sub(r"\([^)]*\)", " ", label))}
    if "/" in label:
        left, right = (s.split() for s in label.split("/", 1))
        out.add(folded(" ".join(left + right[len(left):])))
        out.add(folded(" ".join(right)))
    return {f for f in out if f}


def split_of(expected: list[str]) -> str:
    """The rule of evaluation/README.md: by the first expected code, never by difficulty."""
    return "test" if zlib.crc32(min(expected).encode("ascii")) % 3 == 0 else "dev"


def rome_forms() -> set[str]:
    taken: set[str] = set()
    with (V460 / "unix_referentiel_appellation_v460_utf8.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            taken |= forms(row["libelle_appellation_long"])
            taken |= forms(row["libelle_appellation_court"])
    with (V460 / "unix_referentiel_code_rome_v460_utf8.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            taken |= forms(row["libelle_rome"])
    return taken


def esco_rows() -> list[dict[str, str]]:
    with (V460 / "unix_referentiel_appellation_v460_utf8.csv").open(encoding="utf-8") as fh:
        fiche_of = {r["code_ogr"]: r["code_rome"] for r in csv.DictReader(fh)}
    text = ESCO.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO("".join(text.splitlines(keepends=True)[15:])))
    codes: dict[str, set[str]] = defaultdict(set)
    labels: dict[str, str] = {}
    relations: dict[str, set[str]] = defaultdict(set)
    for row in reader:
        uri, ogr = row["classification 1 ID"], row["classification 2 ID"]
        if not uri.startswith("http") or ogr not in fiche_of:
            continue
        labels[uri] = row["classification 1 prefered label"].strip()
        codes[uri].add(fiche_of[ogr])
        relations[uri].add(row["mapping relation"].replace("skos:", ""))
    return [{"title": labels[u], "expected": " ".join(sorted(codes[u])), "source": u,
             "note": "ESCO 1.0.9 French label; crosswalk " + ", ".join(sorted(relations[u]))}
            for u in sorted(labels)]


def referential_rows() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for ref in REFERENTIALS:
        jobs = yaml.safe_load((DATA / ref / "jobs.yaml").read_text(encoding="utf-8"))["jobs"]
        links: dict[str, set[str]] = defaultdict(set)
        with (DATA / ref / "rome.csv").open(encoding="utf-8", newline="") as fh:
            for link in csv.DictReader(fh):
                links[link["job"]].add(link["rome"])
        for job in jobs:
            if not links.get(job["id"]):
                continue
            for kind, label in [("label", job["label"])] + \
                    [("alt_labels", a) for a in job.get("alt_labels") or []]:
                rows.append({"title": " ".join(str(label).split()),
                             "expected": " ".join(sorted(links[job["id"]])),
                             "source": f"{ref}/{job['id']}",
                             "note": f"{kind} in data/{ref}/jobs.yaml; codes of rome.csv"})
    # the same printed title in several jobs (photography's sections) is one test title, with
    # the codes of all of them
    merged: dict[str, dict[str, str]] = {}
    for r in rows:
        key = folded(r["title"])
        if key in merged:
            m = merged[key]
            m["expected"] = " ".join(sorted(set(m["expected"].split()) |
                                            set(r["expected"].split())))
            m["source"] = " ".join(dict.fromkeys([*m["source"].split(), r["source"]]))
        else:
            merged[key] = dict(r)
    return list(merged.values())


def job_forms() -> dict[str, set[str]]:
    """Each folded form of a job label (any language) -> the jobs (``<referential>/<id>``)."""
    out: dict[str, set[str]] = defaultdict(set)
    for ref in REFERENTIALS:
        jobs = yaml.safe_load((DATA / ref / "jobs.yaml").read_text(encoding="utf-8"))["jobs"]
        for job in jobs:
            labels = [job["label"], *(job.get("alt_labels") or []),
                      *(job.get("alt_labels_en") or [])]
            for label in labels:
                for f in forms(str(label)):
                    out[f].add(f"{ref}/{job['id']}")
    return out


def read_hand(path: Path) -> list[dict[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            title, codes, note = (x.strip() for x in line.split("|", 2))
            rows.append({"title": title, "expected": " ".join(sorted(codes.split())),
                         "source": "hand", "note": note})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hand", type=Path, help="more hand-written rows, title|codes|note a line")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    hand: list[dict[str, str]] = []
    if args.out.exists():
        with args.out.open(encoding="utf-8", newline="") as fh:
            hand = [r for r in csv.DictReader(fh) if r["source"] == "hand"]
    if args.hand:
        hand += read_hand(args.hand)
    taken = rome_forms()
    by_label = job_forms()
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    dropped = 0
    for r in [*esco_rows(), *referential_rows(), *hand]:
        key = folded(r["title"])
        if forms(r["title"]) & taken:
            dropped += 1
            continue
        if key in seen:  # a title met twice keeps its first row
            continue
        seen.add(key)
        # the jobs whose labels are this title: left out of the index when it is measured
        leave = sorted({j for f in forms(r["title"]) for j in by_label.get(f, ())})
        out.append({**r, "split": split_of(r["expected"].split()), "leave_out": " ".join(leave)})
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows({k: r[k] for k in COLUMNS} for r in out)
    args.out.write_text(buf.getvalue(), encoding="utf-8")
    by = defaultdict(int)
    for r in out:
        kind = "esco" if r["source"].startswith("http") else \
            "hand" if r["source"] == "hand" else "referential"
        by[(kind, r["split"])] += 1
    print(f"{len(out)} titles written to {args.out} ({dropped} dropped: equal to a ROME "
          f"appellation); " + ", ".join(f"{k} {s} {n}" for (k, s), n in sorted(by.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
