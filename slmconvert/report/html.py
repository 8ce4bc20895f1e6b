"""HTML building blocks for the report: escaped cells, tables, embedded images, the page."""

from __future__ import annotations

import base64
from html import escape

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222;
       padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 2px solid #ddd; padding-top: 1rem; }
nav a { margin-right: 1rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f1f3f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; border: 1px solid #eee; }
.missing { color: #888; font-style: italic; } .muted { color: #666; font-size: 0.85rem; }
.promote, .specialise { color: #2e7d32; font-weight: 600; } .hold { color: #ef6c00; }
.stay_on_llm { color: #757575; } .passed { color: #2e7d32; } .failed { color: #c62828; }
details { margin: 0.3rem 0; } pre { white-space: pre-wrap; background: #f8f9fa; padding: 0.4rem; }
"""


class Raw(str):
    """HTML that is already safe (built here from escaped parts); never wrap outside text."""


def esc(value: object) -> Raw:
    """Text made safe for HTML (a Raw value passes through)."""
    return value if isinstance(value, Raw) else Raw(escape("" if value is None else str(value)))


def num(value: object, digits: int = 0) -> str:
    """A number with thousands separators, or '—' when missing."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "—" if value is None else str(value)
    return f"{value:,.{digits}f}"


def pct(value: object, digits: int = 1) -> str:
    """A share 0..1 as a percentage, or '—' when missing."""
    return f"{value:.{digits}%}" if isinstance(value, int | float) else "—"


def usd(value: object) -> str:
    """US dollars, or '—' when missing."""
    return f"${value:,.2f}" if isinstance(value, int | float) else "—"


class Num(str):
    """A table cell shown right-aligned."""


def table(headers: list[str], rows: list[list[object]], caption: str = "") -> Raw:
    """An HTML table; every cell is escaped unless it is Raw, Num cells align right."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{esc(c)}</td>' if isinstance(c, Num) else f"<td>{esc(c)}</td>"
            for c in row
        )
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return Raw(f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def image(png: bytes, alt: str) -> Raw:
    """A PNG embedded as a data URI, so the page needs no other file."""
    data = base64.b64encode(png).decode("ascii")
    return Raw(f'<p><img alt="{esc(alt)}" src="data:image/png;base64,{data}"></p>')


def tag(name: str, text: object, cls: str = "") -> Raw:
    """One element around escaped text, e.g. tag('p', 'hello', 'muted')."""
    attr = f' class="{esc(cls)}"' if cls else ""
    return Raw(f"<{name}{attr}>{esc(text)}</{name}>")


def lines(items: list[object]) -> Raw:
    """Escaped items, one per line inside a cell."""
    return Raw("<br>".join(esc(i) for i in items))


def details(summary: str, body: Raw) -> Raw:
    """A collapsed block with a one-line summary."""
    return Raw(f"<details><summary>{esc(summary)}</summary>{body}</details>")


def not_run(stage: str) -> Raw:
    """What a section shows when its stage has no output in the work directory."""
    return tag("p", f"not run yet: no '{stage}' stage directory in this work directory", "missing")


def section(anchor: str, title: str, parts: list[Raw]) -> tuple[str, str, Raw]:
    """A titled section (its anchor and title also go in the page's navigation)."""
    return (
        anchor,
        title,
        Raw(f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{"".join(parts)}</section>'),
    )


def page(title: str, subtitle: str, sections: list[tuple[str, str, Raw]]) -> str:
    """The whole self-contained HTML document."""
    nav = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t, _ in sections)
    body = "".join(s for _, _, s in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{esc(title)}</h1>{tag('p', subtitle, 'muted')}<nav>{nav}</nav>{body}</body></html>\n"
    )
