"""Answer tables as HTML: the cells of a long table written in Python, every text escaped.

A competence gap's table holds sixty rows of ten cells, shown twice (the main columns, then
every column under "details"); written by a Jinja macro, it was three quarters of the page's
rendering time. The markup is the one the macro wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape


def _cell(v: Mapping[str, Any], row: Mapping[str, Any], named: str | None, *, lang: str,
          url: Callable[..., str], fallback: str) -> str:
    out = ["<td"]
    if v.get("lang") and v["lang"] != lang:
        out.append(f' lang="{escape(v["lang"])}"')
    name_text = row[named]["text"] if named else ""
    if named:
        out.append(f' title="{escape(name_text)}"')
    out.append(">")
    text = escape(v["text"])
    if v.get("page"):
        out.append(f'<a href="{escape(url(v["page"]))}">{text}</a>')
    else:
        out.append(str(text))
    if v.get("fallback"):
        out.append(fallback)
    if name_text:
        out.append(f' <span class="id">{escape(name_text)}</span>')
    out.append("</td>")
    return "".join(out)


def table_html(answer: Mapping[str, Any], caption: str = "", *, details: bool = False,
               lang: str, words: Mapping[str, str], url: Callable[..., str]) -> Markup:
    """An answer's table (``views.table_json``'s form): its main columns, and the evidence
    columns under a "details" disclosure; "no rows" when it is empty."""
    rows = answer["rows"]
    if not rows:
        return Markup(f'<p class="empty">{escape(words["no_rows"])}</p>\n')
    columns = answer["columns"]
    shown = [c for c in columns if not c.get("namedBy") and (details or not c.get("detail"))]
    fallback = (f'<abbr class="fallback" title="{escape(words["no_english"])}" '
                f'lang="{escape(lang)}">*</abbr>')
    region = caption or answer.get("question") or ""
    out = [f'<div class="scroll" tabindex="0" role="region" aria-label="{escape(region)}">\n'
           '<table class="answer">\n']
    if caption:
        out.append(f"<caption>{escape(caption)}</caption>\n")
    out.append("<thead><tr>")
    out += [f'<th scope="col" data-column="{escape(c["name"])}">{escape(c["header"])}</th>'
            for c in shown]
    out.append("</tr></thead>\n<tbody>\n")
    for row in rows:
        out.append("<tr>")
        out += [_cell(row[c["name"]], row, c.get("names"), lang=lang, url=url,
                      fallback=fallback) for c in shown]
        out.append("</tr>\n")
    out.append("</tbody>\n</table>\n</div>\n")
    n = len(rows)
    out.append(f'<p class="count">{n} {escape(words["row"] if n == 1 else words["rows"])}')
    if answer.get("fallbacks"):
        out.append(f" · {escape(words['fallback_note'])}")
    out.append("</p>\n")
    if not details and any(c.get("detail") for c in columns):
        out.append(f'<details class="evidence"><summary>{escape(words["details"])}</summary>\n')
        out.append(table_html(answer, caption, details=True, lang=lang, words=words, url=url))
        out.append("</details>\n")
    return Markup("".join(out))


@pass_context
def table(context: Context, answer: Mapping[str, Any], caption: str = "",
          details: bool = False) -> Markup:
    """``table_html`` for a template, with the page's language, words and link maker."""
    return table_html(answer, caption, details=details, lang=context["lang"],
                      words=context["w"], url=context["url"])


__all__ = ["table", "table_html"]
