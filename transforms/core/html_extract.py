"""HTML pages to article text, title and publication date (Beam-free).

Main-text extraction is ``trafilatura`` (boilerplate removal: scripts, styles,
navigation, headers/footers, share bars and comments go; the article's
paragraphs stay), with its publication date from ``htmldate`` (meta tags such
as ``article:published_time``, JSON-LD, ``<time>`` elements, the URL). Both
ship everything they need in their wheels: nothing is downloaded.

Guarantees:
  * Deterministic: htmldate's "latest acceptable date" is pinned to the end of
    ``MAX_YEAR`` instead of today's date, and its extensive free-text search
    (which guesses dates from body text) is off, so the same page gives the
    same result on any day and any worker.
  * ``extract_html`` never raises on bad markup: a page without main text
    raises :class:`NoMainText`, which the reader turns into a quarantine record
    (reason ``no_main_text``) keeping the raw page.
  * The date is returned as written by htmldate (``YYYY-MM-DD``); the caller
    normalises it like any date header. No time of day is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["HtmlArticle", "NoMainText", "is_html_name", "looks_like_html", "extract_html"]

_COMPRESSED = (".gz", ".gzip", ".bz2", ".xz")
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_SNIFF_RE = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head)\b",
                       re.IGNORECASE | re.DOTALL)  # fmt: skip
_SNIFF_CHARS = 2048
_MIN_ALNUM = 20  # below this, what is left of a page is a button or a menu item
_DATE_PARAMS = {
    "original_date": True,
    "extensive_search": False,
    "max_date": "2200-12-31",
}


class NoMainText(Exception):
    """The page has no extractable main text (``detail`` says why)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __reduce__(self):
        return (type(self), (self.detail,))


@dataclass(frozen=True)
class HtmlArticle:
    """The main content of one page."""

    text: str
    title: str | None
    date_raw: str | None
    source_id: str | None


def is_html_name(name: str) -> bool:
    """True for ``.html``/``.htm``/``.xhtml`` names, compressed or not."""
    lower = name.lower()
    for suffix in _COMPRESSED:
        if lower.endswith(suffix):
            lower = lower[: -len(suffix)]
            break
    return lower.endswith(_HTML_SUFFIXES)


def looks_like_html(text: str) -> bool:
    """True when the text starts like an HTML document (doctype, ``<html>`` or ``<head>``).

    Only the start is inspected (after whitespace, an XML declaration and
    comments), so a plain article quoting markup further down is not HTML.
    """
    return _SNIFF_RE.match(text[:_SNIFF_CHARS]) is not None


def extract_html(html: str, url: str | None = None) -> HtmlArticle:
    """Main text, title, publication date and canonical URL of one HTML page.

    Args:
        html: The decoded page.
        url: Where the page came from (helps htmldate read dates in URLs);
            the page's own canonical URL, when declared, is preferred for
            ``source_id``.

    Raises:
        NoMainText: trafilatura found no main content, or fewer than 20
            letters or digits of it (a leftover button or menu item).
    """
    import trafilatura  # deferred: ~0.25 s of imports, paid only when a page is read

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        favor_precision=True,
        include_images=False,
        include_tables=True,
        date_extraction_params=dict(_DATE_PARAMS),
    )
    text = getattr(document, "text", None) or ""
    title = (getattr(document, "title", None) or "").strip() or None
    text = _drop_leading_title(text, title)
    if sum(1 for c in text if c.isalnum()) < _MIN_ALNUM:
        raise NoMainText(
            "no main text: markup, navigation or scripts only "
            f"(under {_MIN_ALNUM} letters or digits extracted)"
        )
    date = (getattr(document, "date", None) or "").strip() or None
    page_url = (getattr(document, "url", None) or "").strip() or None
    return HtmlArticle(text=text, title=title, date_raw=date, source_id=page_url)


def _drop_leading_title(text: str, title: str | None) -> str:
    """The text without a first line that repeats the title (the page's ``<h1>``)."""
    if not title:
        return text.strip()
    first, _, rest = text.strip().partition("\n")
    if " ".join(first.split()).casefold() == " ".join(title.split()).casefold():
        return rest.strip()
    return text.strip()
