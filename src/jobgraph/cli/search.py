"""The commands that find ROME fiches and jobs: search (a text, or a file of them), rome
suggest (for a job) and rome check (the validation findings about ROME links)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..errors import UsageError
from . import common
from .common import EXIT_OK, EXIT_VIOLATIONS

if TYPE_CHECKING:
    from ..search.batch import Coded
    from ..search.engine import Answer


def cmd_rome(args: argparse.Namespace, out: TextIO) -> int:
    if args.rome_command == "suggest":
        return _rome_suggest(args, out)
    return _rome_check(args, out)


def _rome_suggest(args: argparse.Namespace, out: TextIO) -> int:
    from ..backends import open_store
    from ..names import resolve_job
    from ..suggest import JobText, Neighbours, curated_links, job_texts, suggest
    from ..terms import short_id

    if args.top < 1:
        raise UsageError(f"--top must be at least 1, got {args.top}")
    backend = open_store(common.data_dir(args), common.store_dir(args))
    engine = common.engine(args, backend)
    job = str(resolve_job(backend, args.job, suggest=engine.suggester))
    texts = job_texts(backend)
    text = texts.get(job, JobText(job))
    neighbours = Neighbours(engine, texts, curated_links(backend))
    links = {link.code: link for link in curated_links(backend, job)}
    out.write(f"ROME 4.0 fiches for {short_id(job)} « {text.label} »\n")
    if links:
        out.write("curated: " + ", ".join(f"{c} {x.relation} ({x.basis})"
                                          for c, x in sorted(links.items())) + "\n")
    out.write("\n")
    for rank, s in enumerate(suggest(engine, text, top=args.top, neighbours=neighbours), 1):
        mark = "  [curated]" if s.code in links else ""
        out.write(f"{rank:>3}  {s.score:.3f}  {s.code}  {s.title}{mark}\n")
        if s.titles:
            out.write("            titles: "
                      + "; ".join(f"{t} ({v:.2f})" for t, v in s.titles) + "\n")
        if s.competences:
            out.write("            competences: "
                      + "; ".join(f"{t} ({v:.2f})" for t, v in s.competences) + "\n")
    return EXIT_OK


def _level(job: object) -> str:
    level = getattr(job, "level", None)
    national = getattr(job, "national", None)
    return (f"level {level if level else 'none'}, national "
            f"{national if national is not None else 'unknown'}")


def _answer_text(answer: Answer) -> str:
    lines = [f"ROME 4.0 fiches for « {answer.text} »"]
    read = " ".join(answer.words)
    fixes = "; ".join(f"{a} → {b}" for a, b in answer.repaired)
    lines.append(f"read as: {read or '(nothing)'}" + (f" (typos: {fixes})" if fixes else ""))
    if answer.reason:
        lines.append(f"no answer: {answer.reason}")
        return "\n".join(lines) + "\n"
    lines.append("")
    for rank, f in enumerate(answer.fiches, 1):
        lines.append(f"{rank:>3}  {f.score:.3f}  {f.code}  {f.title}")
        if f.matched:
            lines.append("            matched: " + "; ".join(f.matched))
    lines.append("")
    if not answer.jobs:
        lines.append("Jobs of the referentials: none")
    else:
        lines.append("Jobs of the referentials")
        for rank, h in enumerate(answer.jobs, 1):
            how = []
            if h.matched:
                how.append(f"label « {h.matched} »")
            if h.via:
                how.append("ROME " + ", ".join(f"{c} {r}" for c, r in h.via))
            lines.append(f"{rank:>3}  {h.score:.3f}  {h.job.short}  {h.job.label}  "
                         f"[{h.job.referential}, {_level(h.job)}]")
            lines.append("            by " + "; ".join(how))
    return "\n".join(lines) + "\n"


def _coded_row(c: Coded, top: int) -> dict[str, object]:
    from ..search.engine import as_dict

    row: dict[str, object] = {"line": c.item.line, **as_dict(c.answer)}
    if c.item.expected:
        row["expected"] = c.item.expected
    return row


def cmd_search(args: argparse.Namespace, out: TextIO) -> int:
    """One text (table or JSON), or a file of them (JSON lines or CSV, one answer a line)."""
    import json

    if args.top < 1:
        raise UsageError(f"--top must be at least 1, got {args.top}")
    if args.jobs < 0:
        raise UsageError(f"--jobs must be 0 or more, got {args.jobs}")
    if (args.text is None) == (args.input is None):
        raise UsageError("give a TEXT to search, or --input FILE (not both)")
    if args.text is not None:
        fmt = args.format or "table"
        if fmt not in ("table", "json"):
            raise UsageError(f"--format {fmt} is for --input; one text takes table or json")
        if args.column or args.expected or args.leave_out:
            raise UsageError("--column, --expected and --leave-out go with --input")
        backend = common.backend(args)
        answer = common.engine(args, backend).search(args.text, top=args.top, jobs=args.jobs)
        if fmt == "json":
            from ..search.engine import as_dict

            common.emit(json.dumps(as_dict(answer), ensure_ascii=False, indent=1) + "\n",
                  args.output, out)
        else:
            common.emit(_answer_text(answer), args.output, out)
        return EXIT_OK
    from ..search.batch import Accuracy, code_all, read_items

    fmt = args.format or "jsonl"
    if fmt not in ("jsonl", "csv"):
        raise UsageError(f"--format {fmt} is for one text; --input takes jsonl or csv")
    items = read_items(Path(args.input), column=args.column, expected=args.expected,
                       leave_out=args.leave_out)
    engine = common.engine(args, common.backend(args))
    accuracy = Accuracy(args.top)
    buf: list[str] = []
    writer = None
    if fmt == "csv":
        import csv
        import io

        sink = io.StringIO()
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(["line", "text", "code", "title", "score", "codes", "jobs", "reason"])
    for c in code_all(engine, items, top=args.top, jobs=args.jobs):
        accuracy.add(c)
        if writer is not None:
            best = c.answer.fiches[0] if c.answer.fiches else None
            writer.writerow([c.item.line, c.item.text, best.code if best else "",
                             best.title if best else "", f"{best.score:.3f}" if best else "",
                             " ".join(c.codes), " ".join(h.job.short for h in c.answer.jobs),
                             c.answer.reason])
        else:
            buf.append(json.dumps(_coded_row(c, args.top), ensure_ascii=False) + "\n")
    if writer is not None:
        buf.append(sink.getvalue())
    common.emit("".join(buf), args.output, out)
    if args.expected:
        # on standard error: standard output stays one answer a line
        err: TextIO = getattr(args, "err_stream", None) or sys.stderr
        err.write(accuracy.text() + "\n")
    return EXIT_OK


def _rome_check(args: argparse.Namespace, out: TextIO) -> int:
    """The validation findings about ROME links; exit 1 when one of them is a violation."""
    from ..backends import open_store
    from ..findings import SEVERITIES
    from ..suggest import curated_links
    from ..validate import rome_check

    report = rome_check(common.data_dir(args), store_dir=common.store_dir(args))
    links = curated_links(open_store(common.data_dir(args), common.store_dir(args)))
    out.write(f"ROME links: {len(links)} links of {len({x.job for x in links})} jobs to "
              f"{len({x.code for x in links})} fiches\n")
    tags = {"violation": "ERROR", "warning": "WARNING", "info": "INFO"}
    for f in sorted(report.findings, key=lambda f: (SEVERITIES.index(f.severity), f.sort_key())):
        where = f"{f.source} " if f.source else ""
        mark = " (accepted)" if f.accepted else ""
        out.write(f"[{tags[f.severity]}] {where}{f.text(args.lang)}{mark}\n")
    counts = report.counts()
    out.write(f"{counts['violation']} violation(s), {counts['warning']} warning(s), "
              f"{counts['info']} info, {counts['accepted']} accepted\n")
    return EXIT_OK if report.conforms() else EXIT_VIOLATIONS
