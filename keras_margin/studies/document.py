"""`Document`: one report written both as Markdown and as self-contained HTML."""

import base64
import html
import os

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f2f2f2; }
img { max-width: 100%; }
figcaption { font-size: 0.9rem; color: #555; }
code { background: #f4f4f4; padding: 0 0.2rem; }
"""


class Document:
    """An ordered list of blocks (headings, paragraphs, lists, tables, figures).

    Building the report once as blocks and rendering it twice keeps `report.md` and
    `report.html` identical in content, with no Markdown library needed. Figures are
    PNG files beside the report; the HTML embeds them, so it is one self-contained file.
    """

    def __init__(self, title):
        self.title = title
        self.blocks = []

    def heading(self, text, level=2):
        self.blocks.append(("heading", level, text))

    def paragraph(self, text):
        self.blocks.append(("paragraph", text))

    def bullets(self, items):
        if items:
            self.blocks.append(("bullets", list(items)))

    def table(self, header, rows):
        self.blocks.append(("table", list(header), [list(row) for row in rows]))

    def figure(self, path, caption):
        self.blocks.append(("figure", os.fspath(path), caption))

    def to_markdown(self, folder):
        lines = [f"# {self.title}", ""]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                lines += ["#" * block[1] + " " + block[2], ""]
            elif kind == "paragraph":
                lines += [block[1], ""]
            elif kind == "bullets":
                lines += [f"- {item}" for item in block[1]] + [""]
            elif kind == "table":
                header, rows = block[1], block[2]
                lines.append("| " + " | ".join(header) + " |")
                lines.append("|" + "|".join(" --- " for _ in header) + "|")
                lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
                lines.append("")
            elif kind == "figure":
                relative = os.path.relpath(block[1], folder)
                lines += [f"![{block[2]}]({relative})", "", f"*{block[2]}*", ""]
        return "\n".join(lines)

    def to_html(self):
        parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                 f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head><body>",
                 f"<h1>{html.escape(self.title)}</h1>"]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                parts.append(f"<h{block[1]}>{_inline(block[2])}</h{block[1]}>")
            elif kind == "paragraph":
                parts.append(f"<p>{_inline(block[1])}</p>")
            elif kind == "bullets":
                parts.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in block[1]) + "</ul>")
            elif kind == "table":
                header = "".join(f"<th>{_inline(cell)}</th>" for cell in block[1])
                body = "".join("<tr>" + "".join(f"<td>{_inline(cell)}</td>" for cell in row) + "</tr>"
                               for row in block[2])
                parts.append(f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>")
            elif kind == "figure":
                with open(block[1], "rb") as handle:
                    encoded = base64.b64encode(handle.read()).decode("ascii")
                parts.append(f'<figure><img alt="{html.escape(block[2])}" '
                             f'src="data:image/png;base64,{encoded}"><figcaption>'
                             f"{_inline(block[2])}</figcaption></figure>")
        parts.append("</body></html>")
        return "\n".join(parts)


def _inline(text):
    """Escapes text and renders `code` spans and **bold**, the only inline Markdown used."""
    escaped = html.escape(str(text))
    pieces = escaped.split("`")
    for index in range(1, len(pieces), 2):
        pieces[index] = f"<code>{pieces[index]}</code>"
    escaped = "".join(pieces)
    pieces = escaped.split("**")
    for index in range(1, len(pieces), 2):
        pieces[index] = f"<strong>{pieces[index]}</strong>"
    return "".join(pieces)
