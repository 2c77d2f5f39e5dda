"""The guide for centres (docs/API.md) as a portal page, so that the copy a centre reads is the one
kept in the repository."""

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.text import slugify

GUIDE = Path(settings.BASE_DIR) / "docs" / "API.md"


@lru_cache(maxsize=1)
def _rendered(mtime: float) -> str:
    from markdown_it import MarkdownIt

    # CommonMark with tables; raw HTML in the file is escaped, not passed through.
    md = MarkdownIt("commonmark", {"html": False}).enable("table")

    def heading_ids(renderer, tokens, idx, options, env):
        token = tokens[idx]
        if token.nesting == 1:
            text = tokens[idx + 1].content
            token.attrSet("id", slugify(text))
        return renderer.renderToken(tokens, idx, options, env)

    md.add_render_rule("heading_open", heading_ids)
    return md.render(GUIDE.read_text(encoding="utf-8"))


def api_guide(request):
    html = _rendered(GUIDE.stat().st_mtime)
    return render(request, "api_guide.html", {"guide": mark_safe(html)})  # noqa: S308 (html disabled above)
