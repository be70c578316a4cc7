"""Pages written in the CRM are Markdown, rendered safely: raw HTML is shown as text, never run."""

from markdown_it import MarkdownIt

# CommonMark with tables; `html` off, so any HTML a user writes is escaped. Link targets are
# checked by markdown-it itself (no javascript:, vbscript:, file: or data: links).
_RENDERER = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> str:
    return str(_RENDERER.render(text))
