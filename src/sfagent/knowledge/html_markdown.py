"""HTML knowledge pages to Markdown, without scripts, styles or other non-content markup."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Tag
from markdownify import ATX, MarkdownConverter

# Elements whose text is code or chrome, never article content a customer should be shown.
_DROPPED_TAGS = ["script", "style", "noscript", "template", "iframe", "object", "embed", "svg"]
_BLANK_RUN = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")

# Underscores and asterisks stay unescaped: `UNABLE_TO_LOCK_ROW` must stay one searchable token,
# and the text is indexed far more often than it is rendered.
_CONVERTER = MarkdownConverter(
    heading_style=ATX,
    bullets="-",
    escape_underscores=False,
    escape_asterisks=False,
)


def html_to_markdown(html: str) -> tuple[str, str]:
    """(title, Markdown body): the title from `<title>`, else the first `<h1>`, else ""."""
    soup = BeautifulSoup(html, "html.parser")
    title = _title(soup)
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    for image in soup.find_all("img"):
        # Inline `data:` images are base64 blobs that would swamp the body size limit.
        if isinstance(image, Tag) and str(image.get("src", "")).startswith("data:"):
            image.decompose()
    root = soup.body or soup
    if soup.head is not None:
        soup.head.decompose()  # <title> and <meta> text is not body content
    markdown = _CONVERTER.convert_soup(root)
    return title, _BLANK_RUN.sub("\n\n", markdown).strip()


def _title(soup: BeautifulSoup) -> str:
    for tag in (soup.title, soup.find("h1")):
        if tag is not None:
            text = " ".join(tag.get_text(" ").split())
            if text:
                return text
    return ""
