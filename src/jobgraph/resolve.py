"""Cross-record checks of loaded data: unique ids, references that resolve, no progression or
broader cycle."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence

from .errors import Problem
from .model import Alignment, Competence, Dataset, Family, Level, Loc, ProgressionRef, Referential


def _dupes(kind: str, items: Iterable[tuple[str, Loc]], problems: list[Problem]) -> set[str]:
    first: dict[str, Loc] = {}
    for ident, loc in items:
        if ident in first:
            problems.append(Problem(
                loc.file, loc.line,
                f"duplicate {kind} id '{ident}' (first defined at {first[ident]})",
                "ids must be unique: rename one"))
        else:
            first[ident] = loc
    return set(first)


def scale_levels(ds: Dataset, ref: Referential) -> tuple[str, dict[str, Level]] | None:
    """The referential id owning the scale ``ref`` uses, with its levels by id."""
    if ref.scale is not None:
        return ref.id, {lv.id: lv for lv in ref.scale.levels}
    if ref.scale_ref and ref.scale_ref in ds.referentials:
        owner = ds.referentials[ref.scale_ref]
        if owner.scale is not None:
            return owner.id, {lv.id: lv for lv in owner.scale.levels}
    return None


def level_exists(ds: Dataset, qualified: str) -> bool:
    if "/" not in qualified:
        return False
    rid, lid = qualified.split("/", 1)
    other = ds.referentials.get(rid)
    return bool(other and other.scale and any(lv.id == lid for lv in other.scale.levels))


def _level(ds: Dataset, qualified: str) -> Level | None:
    if "/" not in qualified:
        return None
    rid, lid = qualified.split("/", 1)
    other = ds.referentials.get(rid)
    if other is None or other.scale is None:
        return None
    return next((lv for lv in other.scale.levels if lv.id == lid), None)


def _check_alignment(ds: Dataset, al: Alignment, what: str, problems: list[Problem]) -> None:
    """The levels an alignment names exist, on one scale, the lowest not above the highest."""
    def err(message: str, hint: str | None = None) -> None:
        problems.append(Problem(al.loc.file, al.loc.line, message, hint))

    bounds = [al.lowest] if al.exact else [al.lowest, al.highest]
    known = [b for b in bounds if _level(ds, b) is not None]
    for b in bounds:
        if b not in known:
            err(f"{what} names unknown level '{b}'",
                "write <referential>/<level id>, e.g. cnc-2019/4")
    if al.exact or len(known) < 2:
        return
    if al.lowest.split("/", 1)[0] != al.highest.split("/", 1)[0]:
        err(f"{what} ranges over two scales ('{al.lowest}' to '{al.highest}')",
            "both bounds are levels of the national framework, e.g. cnc-2019/5 to cnc-2019/6")
        return
    low, high = _level(ds, al.lowest), _level(ds, al.highest)
    if low is not None and high is not None and low.rank > high.rank:
        err(f"{what} has lowest '{al.lowest}' above highest '{al.highest}'", "swap them")


def check_references(ds: Dataset, problems: list[Problem], *,
                     skip: Collection[str] = ()) -> None:
    """Append a problem for every duplicate id, dangling reference and progression cycle (of
    every referential but those in ``skip``)."""
    for ref in ds.referentials.values():
        if ref.id not in skip:
            _check_referential(ds, ref, problems)


def _check_referential(ds: Dataset, ref: Referential, problems: list[Problem]) -> None:
    def err(loc: Loc, message: str, hint: str | None = None) -> None:
        problems.append(Problem(loc.file, loc.line, message, hint))

    jobs = _dupes("job", ((j.id, j.loc) for j in ref.jobs), problems)
    families = _dupes("family", ((f.id, f.loc) for f in ref.families), problems)
    criteria = _dupes("criterion", ((c.id, c.loc) for c in ref.criteria), problems)
    competences = _dupes("competence", ((c.id, c.loc) for c in ref.competences), problems)
    frameworks = _dupes("framework", ((f.id, f.loc) for f in ref.frameworks), problems)
    _dupes("activity type", ((a.id, a.loc) for a in ref.activities), problems)
    _dupes("certification", ((c.id, c.loc) for c in ref.certifications), problems)

    if ref.scale is not None:
        _dupes("level", ((lv.id, lv.loc) for lv in ref.scale.levels), problems)
        ranks: dict[int, str] = {}
        for lv in ref.scale.levels:
            if lv.rank in ranks:
                err(lv.loc, f"level '{lv.id}' has rank {lv.rank}, like level '{ranks[lv.rank]}'",
                    "ranks order the levels of a scale: give each its own")
            ranks.setdefault(lv.rank, lv.id)
            if lv.aligned_to:
                _check_alignment(ds, lv.aligned_to, "aligned_to", problems)
            if (lv.min_total is not None and lv.max_total is not None
                    and lv.min_total > lv.max_total):
                err(lv.loc,
                    f"level '{lv.id}' has min_total {lv.min_total} > max_total {lv.max_total}")
    elif ref.scale_ref is not None:
        owner_ref = ds.referentials.get(ref.scale_ref)
        if owner_ref is None or owner_ref.scale is None:
            err(ref.loc, f"scale '{ref.scale_ref}' names no referential with a scale",
                "write the id of a referential folder that defines a scale, e.g. cnc-2019")
    levels = scale_levels(ds, ref)

    for c in ref.criteria:
        if c.min > c.max:
            err(c.loc, f"criterion '{c.id}' has min {c.min} > max {c.max}")
    for f in ref.families:
        if f.broader and f.broader not in families:
            err(f.loc, f"family '{f.id}' has unknown broader family '{f.broader}'")
    for comp in ref.competences:
        if comp.framework not in frameworks:
            err(comp.loc, f"competence '{comp.id}' names unknown framework '{comp.framework}'",
                "declare it under 'frameworks' in competences.yaml")
        if comp.broader and comp.broader not in competences:
            err(comp.loc, f"competence '{comp.id}' has unknown broader competence '{comp.broader}'")
    for a in ref.activities:
        for cid in a.competences:
            if cid not in competences:
                err(a.loc, f"activity type '{a.id}' names unknown competence '{cid}'")

    for job in ref.jobs:
        for fid in job.families:
            if fid not in families:
                err(job.loc, f"job '{job.id}' names unknown family '{fid}'",
                    "declare it under 'families' in referential.yaml")
        if job.level is not None:
            if levels is None:
                err(job.loc,
                    f"job '{job.id}' has level '{job.level}' but the referential has no scale")
            else:
                owner, by_id = levels
                lid = job.level
                if "/" in lid:
                    rid, lid = lid.split("/", 1)
                    ok = rid == owner and lid in by_id
                else:
                    ok = owner == ref.id and lid in by_id
                if not ok:
                    err(job.loc, f"job '{job.id}' has unknown level '{job.level}'",
                        "levels of this scale: " + ", ".join(
                            (lv if owner == ref.id else f"{owner}/{lv}") for lv in by_id))
        if job.national_level:
            _check_alignment(ds, job.national_level, "national_level", problems)
        for crit in job.scores:
            if crit not in criteria:
                err(job.loc, f"job '{job.id}' scores unknown criterion '{crit}'",
                    "criteria: " + ", ".join(sorted(criteria)))
        for key in ("requires", "requires_key", "requires_new"):
            for cid in getattr(job, key):
                if cid not in competences:
                    err(job.loc, f"job '{job.id}' {key} unknown competence '{cid}'")
        for p in job.progresses_to:
            if p.job not in jobs:
                err(p.loc, f"job '{job.id}' progresses to unknown job '{p.job}'")
            elif p.job == job.id:
                err(p.loc, f"job '{job.id}' progresses to itself")
        for other in job.close_to:
            if other not in jobs:
                err(job.loc, f"job '{job.id}' is close to unknown job '{other}'")

    for cert in ref.certifications:
        if cert.level and not level_exists(
                ds, cert.level if "/" in cert.level else f"{ref.id}/{cert.level}"):
            err(cert.loc, f"certification '{cert.id}' has unknown level '{cert.level}'")
        for cid in cert.certifies:
            if cid not in competences:
                err(cert.loc, f"certification '{cert.id}' certifies unknown competence '{cid}'")
        for jid in cert.gives_access_to:
            if jid not in jobs:
                err(cert.loc, f"certification '{cert.id}' gives access to unknown job '{jid}'")
    for link in ref.rome_links:
        if link.job not in jobs:
            err(link.loc, f"ROME link names unknown job '{link.job}'",
                f"job ids are those of {ref.folder.name}/jobs.yaml")
    _check_cycles(ref, problems)
    _check_broader(ref.families, "family", problems)
    _check_broader(ref.competences, "competence", problems)


def _check_broader(items: Sequence[Family] | Sequence[Competence], kind: str,
                   problems: list[Problem]) -> None:
    """Report each cycle of ``broader`` (a family or competence above itself) once, at the record
    of its first id: each record names one broader at most, so following them is a walk."""
    by_id = {i.id: i for i in items}
    up = {i.id: i.broader for i in items if i.broader}
    cleared: set[str] = set()
    for start in sorted(up):
        walk: list[str] = []
        seen: set[str] = set()
        node: str | None = start
        while node is not None and node not in cleared and node not in seen:
            walk.append(node)
            seen.add(node)
            node = up.get(node)
        if node is not None and node in seen:
            cycle = walk[walk.index(node):]
            first = min(cycle)
            at = cycle.index(first)
            ring = [*cycle[at:], *cycle[:at], first]
            loc = by_id[first].loc
            problems.append(Problem(
                loc.file, loc.line, f"{kind} broader cycle: " + _chain(ring),
                f"a broader {kind} is above the other: remove the 'broader' that closes the loop"))
        cleared.update(walk)


def _check_cycles(ref: Referential, problems: list[Problem]) -> None:
    """Report each progression cycle once, at the edge that closes it.

    A depth-first search with an explicit stack: a chain of thousands of jobs (a generated or
    merged referential) must not exhaust Python's recursion limit.
    """
    edges = {j.id: j.progresses_to for j in ref.jobs}
    done: set[str] = set()
    for root in sorted(edges):
        if root in done:
            continue
        path = [root]  # the jobs on the current chain, root first
        on_path = {root: 0}  # job -> its index in path
        todo: list[Iterator[ProgressionRef]] = [iter(edges[root])]
        while todo:
            p = next(todo[-1], None)
            if p is None:
                todo.pop()
                node = path.pop()
                del on_path[node]
                done.add(node)
            elif p.job in on_path:
                cycle = [*path[on_path[p.job]:], p.job]
                problems.append(Problem(
                    p.loc.file, p.loc.line, "progression cycle: " + _chain(cycle),
                    "a progression goes up: remove the edge that closes the loop"))
            elif p.job in edges and p.job not in done:
                on_path[p.job] = len(path)
                path.append(p.job)
                todo.append(iter(edges[p.job]))


def _chain(jobs: list[str], keep: int = 5) -> str:
    """``a -> b -> c``, the middle of a long chain left out."""
    if len(jobs) <= 2 * keep + 1:
        return " -> ".join(jobs)
    return " -> ".join([*jobs[:keep], f"… ({len(jobs) - 2 * keep} more) …", *jobs[-keep:]])
