"""Split an article into section chunks that fit a size cap, keeping offsets into the body."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sfagent.knowledge.articles import Article

MAX_CHUNK_CHARS = 1200
SECTION_SEPARATOR = " \u203a "  # a single right-pointing angle quote, as in breadcrumbs
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True, slots=True)
class Chunk:
    """A searchable piece of one article; `body[start:end] == text` for its article."""

    chunk_id: str
    article_id: str
    title: str
    section: str
    text: str
    start: int
    end: int

    @property
    def heading_path(self) -> str:
        """Context shown with the chunk: title and section joined by `SECTION_SEPARATOR`."""
        return f"{self.title}{SECTION_SEPARATOR}{self.section}" if self.section else self.title


def chunk_article(article: Article, *, max_chars: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    """Chunks of `article`, one or more per `##` section, each at most `max_chars` long."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    chunks: list[Chunk] = []
    for section, start, end in _sections(article.body):
        for piece_start, piece_end in _pieces(article.body, start, end, max_chars):
            chunks.append(
                Chunk(
                    chunk_id=f"{article.id}#{len(chunks)}",
                    article_id=article.id,
                    title=article.title,
                    section=section,
                    text=article.body[piece_start:piece_end],
                    start=piece_start,
                    end=piece_end,
                )
            )
    return chunks


def _sections(body: str) -> list[tuple[str, int, int]]:
    """(heading, start, end) spans; `##` lines inside code fences are not headings."""
    marks: list[tuple[str, int]] = [("", 0)]
    in_fence = False
    offset = 0
    for line in body.split("\n"):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and line.startswith("## "):
            marks.append((line[3:].strip(), offset))
        offset += len(line) + 1
    spans: list[tuple[str, int, int]] = []
    for index, (heading, start) in enumerate(marks):
        end = marks[index + 1][1] if index + 1 < len(marks) else len(body)
        content = body[start:end]
        # The preamble is usually just the `# Title` line, which the title already covers.
        if heading or re.sub(r"^#\s.*$", "", content, flags=re.MULTILINE).strip():
            spans.append((heading, start, end))
    return spans


def _pieces(body: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Pack whole paragraphs into spans of at most `max_chars`; split oversize ones on spaces."""
    pieces: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for para_start, para_end in _paragraphs(body, start, end):
        for part in _split_long(body, para_start, para_end, max_chars):
            if current and part[1] - current[0] <= max_chars:
                current = (current[0], part[1])
            else:
                if current:
                    pieces.append(current)
                current = part
    if current:
        pieces.append(current)
    return pieces


def _paragraphs(body: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = start
    for found in _PARAGRAPH_BREAK.finditer(body, start, end):
        spans.append((cursor, found.start()))
        cursor = found.end()
    spans.append((cursor, end))
    return [_trim(body, a, b) for a, b in spans if body[a:b].strip()]


def _split_long(body: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    parts: list[tuple[int, int]] = []
    while end - start > max_chars:
        cut = body.rfind(" ", start + 1, start + max_chars)
        cut = cut if cut > start else start + max_chars
        parts.append(_trim(body, start, cut))
        start = cut
        while start < end and body[start].isspace():
            start += 1
    if start < end:
        parts.append(_trim(body, start, end))
    return parts


def _trim(body: str, start: int, end: int) -> tuple[int, int]:
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return start, end
