"""The prose of a message: code, machine output and pasted error text blanked out in place."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from sfagent.nlu.entities.code import find_code_regions, mask_regions

_INLINE_CODE = re.compile(r"`[^`\n]{1,500}`")
# An exception or status code followed by a colon: the error's own text runs to the end of the
# line, or to where the writer starts talking again ("... queries: 101. This is so annoying!").
_ERROR_TEXT = re.compile(
    r"(?<![\w.])(?:[A-Za-z]\w{0,40}\.){0,3}(?:[A-Z]\w{0,60}?Exception|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)"
    r"\s*:[^\n]*?(?=$|[!?]|[.]\s+(?:I|I'm|I've|We|We're|My|Our|This|That|It|It's|Can|Could|"
    r"How|Why|What|Any|Help|Thanks|Is|Does|Do|Please help|So|Ugh|Argh)\b)",
    re.MULTILINE,
)


def technical_spans(
    text: str, code_spans: Sequence[tuple[int, int]] | None = None
) -> list[tuple[int, int]]:
    """Spans that are not the writer's own words: code, traces, logs, inline code, error text."""
    if code_spans is None:
        code_spans = [(region.start, region.end) for region in find_code_regions(text)]
    spans = list(code_spans)
    if "`" in text:
        spans += [match.span() for match in _INLINE_CODE.finditer(text)]
    if ":" in text:
        spans += [match.span() for match in _ERROR_TEXT.finditer(text)]
    return spans


def prose_view(text: str, code_spans: Sequence[tuple[int, int]] | None = None) -> str:
    """Text of the same length with technical spans replaced by spaces (offsets unchanged)."""
    return _cached_prose_view(text, None if code_spans is None else tuple(code_spans))


# Sentiment, emotion and language each ask for the prose of the same message in turn.
@lru_cache(maxsize=32)
def _cached_prose_view(text: str, code_spans: tuple[tuple[int, int], ...] | None) -> str:
    return mask_regions(text, technical_spans(text, code_spans))
