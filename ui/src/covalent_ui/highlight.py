"""Python source as syntax-highlighted HTML (Pygments, on the server: no script needed to read it)."""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup

__all__ = ["CSS_CLASS", "highlight_python", "stylesheet"]

CSS_CLASS = "source"
_STYLE = "friendly"


def highlight_python(source: str) -> Markup:
    """``source`` as ``<div class="source"><pre>…</pre></div>``, every token escaped and classed."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    return Markup(highlight(source, PythonLexer(), HtmlFormatter(cssclass=CSS_CLASS, style=_STYLE)))


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The colours of the highlighted tokens (served as ``/highlight.css``)."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style=_STYLE).get_style_defs(f".{CSS_CLASS}")
