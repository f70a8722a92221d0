"""The commands that ask the graph: the stored questions (queries, query), career paths
(path) and the scores of the career answers (evaluate)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ..errors import UsageError
from . import common
from .common import EXIT_OK, EXIT_VIOLATIONS


def cmd_queries(args: argparse.Namespace, out: TextIO) -> int:
    from ..catalogue import list_queries

    for q in list_queries():
        out.write(f"{q.name}\n    {q.summary}\n")
        for p in q.params:
            extra = " required" if p.required else (f" default={p.default}" if p.default else "")
            out.write(f"    --param {p.name}=<{p.type}{' ' + p.cls if p.cls else ''}>{extra}\n")
        out.write(f"    returns: {' '.join('?' + r for r in q.returns)}\n")
    return EXIT_OK


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs of ``--param``; a name given twice is an error, not a silent choice."""
    params: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"--param takes NAME=VALUE, got {pair[:80]!r}")
        k, v = pair.split("=", 1)
        name = k.strip().lstrip("?")
        if name in params:
            raise UsageError(f"--param {name} is given twice")
        params[name] = v
    return params


def cmd_query(args: argparse.Namespace, out: TextIO) -> int:
    from ..queries import run
    from ..results import labelled, render, table, term_names

    backend = common.backend(args)
    answer = run(backend, args.name, parse_params(args.param or []), lang=args.lang,
                 suggest=common.suggester(args, backend))
    if args.format == "table":  # for people: headers in --lang, labels first, names not IRIs
        shown = labelled(answer.query, answer.result, lang=args.lang, names=term_names(backend))
        out.write(table(shown if args.details else shown.main()))
    else:  # for programs: the variables and terms as they are
        out.write(render(answer.result, args.format))
    if answer.note and args.format == "table":
        out.write(answer.note + "\n")
    return EXIT_OK


def cmd_path(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when a path is found, 1 when there is none (the output says so)."""
    from ..drawing import render
    from ..names import resolve_job
    from ..paths import find_paths

    backend = common.backend(args)
    suggest = common.suggester(args, backend)
    source = str(resolve_job(backend, args.source, suggest=suggest))
    target = str(resolve_job(backend, args.target, suggest=suggest))
    answer = find_paths(backend, source, target, lang=args.lang)
    common.emit(render(answer, args.format, lang=args.lang), args.output, out)
    return EXIT_OK if answer.paths else EXIT_VIOLATIONS


def cmd_evaluate(args: argparse.Namespace, out: TextIO) -> int:
    """Score the career answers on the judged sets; with --fit, refit the equivalence model."""
    from ..backends import open_store
    from ..careers import evaluation as ev
    from ..careers.answers import facts_for
    from ..careers.gaps import competence_gap
    from ..careers.steps import next_steps
    from ..paths import find_paths

    sets = Path(args.sets)
    backend = open_store(common.data_dir(args), common.store_dir(args))
    facts, titles = facts_for(backend)
    chosen = ev.SETS if args.set == "all" else (args.set,)
    results = []
    for name in chosen:
        cases = ev.load_set(sets, name)
        if args.batch:
            cases = [c for c in cases if str(c.get("batch", "")) == args.batch]
            if not cases:
                out.write(f"{name}: no case of batch {args.batch}\n")
                continue
        if name == "equivalents":
            results.append(ev.evaluate_equivalents(facts, titles, cases))
            if (sets / f"{ev.SECOND_JUDGE}.yaml").is_file():
                # how far a second counsellor agrees, and the rules on the cases it judged
                second = ev.load_set(sets, ev.SECOND_JUDGE)
                results.append(ev.second_judge(cases, second))
                judged = {c["job"] for c in second}
                same = ev.evaluate_equivalents(facts, titles,
                                               [c for c in cases if c["job"] in judged])
                same.set = "equivalents, the rules on the second judge's cases"
                results.append(same)
        elif name == "paths":
            results.append(ev.evaluate_paths(
                lambda a, b: [p.jobs() for p in find_paths(backend, a, b, facts=facts,
                                                           titles=titles).paths], cases))
        elif name == "next-steps":
            results.append(ev.evaluate_next_steps(
                lambda j: [s.job.iri for s in next_steps(facts, titles, j)], cases))
        else:
            results.append(ev.evaluate_gaps(
                lambda a, b: competence_gap(facts, backend, a, b), cases))
    for result in results:
        out.write(f"{result.set}\n")
        for f in result.figures:
            out.write(f"  {f.text()}\n")
        if args.verbose:
            for line in result.failures:
                out.write(f"    {line}\n")
    if args.fit:
        fit = ev.fit_equivalence(facts, titles, ev.load_set(sets, "equivalents"))
        out.write(f"equivalence model fitted on {fit.pairs} dev pairs ({fit.positives} listed by "
                  "the judges)\n")
        out.write("  WEIGHTS = " + repr(fit.weights) + f"\n  INTERCEPT = {fit.intercept}\n"
                  f"  THRESHOLD = {fit.threshold}\n  threshold  dev Precision@5  dev Hit@5\n")
        for t, p, h in fit.table:
            out.write(f"  {t:9.2f}  {p:15.3f}  {h:9.3f}\n")
    return EXIT_OK
