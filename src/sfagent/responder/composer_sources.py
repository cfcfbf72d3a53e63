"""Read the parts of a knowledge article a reply can quote: cause, steps, code, checks.

Every string returned here is copied from the article body; trimming only removes text
(parentheticals, extra sentences), so a reply built from it states nothing new.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from sfagent.knowledge import Article
from sfagent.responder.readability import split_sentences

_NUMBERED_ITEM = re.compile(r"^(\d+)\.\s+(.*)$")
_BULLET_ITEM = re.compile(r"^[-*]\s+(.*)$")
_FENCE = re.compile(r"^\s*```\s*([\w+-]*)\s*$")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_PARENTHETICAL = re.compile(r"\s*\([^()]*\)")
# Policy templates tell the support agent what to do ("The agent never cancels on its own");
# those sentences are instructions for us, not advice for the customer.
_ADDRESSED_TO_AGENT = re.compile(r"^(?:\*\*[^*]+\*\*:\s*)?the agent\b", re.IGNORECASE)
MIN_CLAUSE_WORDS = 3  # shorter pieces of a sentence do not stand alone
# The shipped billing articles are templates with {{PLACEHOLDERS}} a tenant replaces. Until it
# does, a customer must never see the braces: a contact or place reads as the neutral name of
# who or what it stands for, and a sentence resting on an unfilled figure or policy ("at least
# {{NOTICE_PERIOD_DAYS}} days") is left out rather than guessed.
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Z0-9_]+)\s*\}\}")
_PLACEHOLDER_ASIDE = re.compile(r"\s*\([^()]*\{\{[^()]*\)")
_NEUTRAL_PLACEHOLDERS = {
    "COMPANY": "our company",
    "SUPPORT_EMAIL": "our support team",
    "BILLING_EMAIL": "our billing team",
    "BILLING_PORTAL_URL": "the billing portal",
    "SALES_EMAIL": "your account manager",
    "CONTRACTS_EMAIL": "our contracts team",
    "SLA_URL": "the service level agreement",
}


@dataclass(frozen=True, slots=True)
class CodeBlock:
    """A fenced code block copied from a source."""

    language: str
    code: str

    def markdown(self) -> str:
        """The block as a Markdown fence."""
        return f"```{self.language}\n{self.code.rstrip()}\n```"


@dataclass(frozen=True, slots=True)
class Step:
    """One numbered step: its prose and any code shown with it."""

    text: str
    code: tuple[CodeBlock, ...] = ()
    note: str = ""  # prose that follows the code inside the same item


@dataclass(frozen=True, slots=True)
class ArticleParts:
    """The quotable sections of one article."""

    problem: tuple[str, ...]  # sentences
    cause: tuple[str, ...]  # sentences
    steps: tuple[Step, ...]
    checks: tuple[str, ...]  # "How to verify" bullets

    @property
    def code(self) -> tuple[CodeBlock, ...]:
        """Every code block in the steps, in order."""
        return tuple(block for step in self.steps for block in step.code)


def read_article(article: Article) -> ArticleParts:
    """Split an article's `##` sections into the parts a reply quotes."""
    sections = _sections(article.body)
    return ArticleParts(
        problem=tuple(_filled(_prose_sentences(sections.get("problem", "")))),
        cause=tuple(_filled(_prose_sentences(sections.get("cause", "")))),
        steps=tuple(_steps(sections.get("steps", ""))),
        checks=tuple(_filled(_bullets(sections.get("how to verify", "")))),
    )


def without_placeholders(text: str) -> str:
    """`text` with known contact placeholders named neutrally and every sentence that still
    holds an unfilled placeholder left out."""
    if "{{" not in text:
        return text
    return " ".join(_filled(split_sentences(text)))


def _filled(sentences: list[str]) -> list[str]:
    kept: list[str] = []
    for sentence in sentences:
        named = _PLACEHOLDER.sub(_neutral_name, _PLACEHOLDER_ASIDE.sub("", sentence))
        if "{{" not in named:
            kept.append(named[:1].upper() + named[1:] if named[:1].islower() else named)
    return kept


def _neutral_name(found: re.Match[str]) -> str:
    return _NEUTRAL_PLACEHOLDERS.get(found.group(1), found.group(0))


def drop_parentheticals(sentence: str) -> str:
    """The sentence without `(...)` asides outside inline code; plain readers skip them."""
    pieces = _INLINE_CODE.split(sentence)
    codes = _INLINE_CODE.findall(sentence)
    kept = [_PARENTHETICAL.sub("", piece) for piece in pieces]
    joined = "".join(piece + (codes[i] if i < len(codes) else "") for i, piece in enumerate(kept))
    return re.sub(r"\s+([,.;:!?])(?=\s|$)", r"\1", joined).strip()


def plain_sentences(text: str) -> list[str]:
    """Sentences of `text` without parentheticals, dropping any left without words."""
    trimmed = (drop_parentheticals(sentence) for sentence in split_sentences(text))
    return [sentence for sentence in trimmed if re.search(r"[A-Za-z]{2}", sentence)]


def plain_clauses(text: str) -> list[str]:
    """Plain sentences, each cut at its semicolons into shorter sentences (easier to read).

    Only the full stop and capital letter change; the words are the source's own.
    """
    clauses: list[str] = []
    for sentence in plain_sentences(text):
        parts = _split_semicolons(sentence)
        if len(parts) > 1 and all(len(part.split()) >= MIN_CLAUSE_WORDS for part in parts):
            clauses.extend(_as_sentence(part) for part in parts)
        else:
            clauses.append(sentence)
    return clauses


def first_sentence(text: str) -> str:
    """The first sentence of `text` (the whole text when it has one)."""
    sentences = split_sentences(text)
    return sentences[0] if sentences else text.strip()


def mentions(text: str, value: str, *, case_sensitive: bool = False) -> bool:
    """True when `value` (an error code, object name) appears in `text` as a whole word.

    `_`, `-` and spaces match each other, so UNABLE_TO_LOCK_ROW finds dml-unable-to-lock-row.
    """
    needle = re.escape(value.strip()).replace("_", "[_ -]").replace(r"\-", "[_ -]")
    flags = 0 if case_sensitive else re.IGNORECASE
    found = re.search(rf"(?<!\w){needle}(?!\w)", text, flags)
    return bool(value.strip()) and found is not None


def _split_semicolons(sentence: str) -> list[str]:
    """`sentence` cut at "; " outside inline code."""
    parts, start = [], 0
    codes = [found.span() for found in _INLINE_CODE.finditer(sentence)]
    for found in re.finditer(r";\s+", sentence):
        if not any(a <= found.start() < b for a, b in codes):
            parts.append(sentence[start : found.start()])
            start = found.end()
    parts.append(sentence[start:])
    return [part.strip() for part in parts if part.strip()]


def _as_sentence(clause: str) -> str:
    """A clause with a capital first letter and a full stop."""
    clause = clause[0].upper() + clause[1:] if clause[0].islower() else clause
    return clause if clause[-1] in ".!?:" else clause + "."


def _sections(body: str) -> dict[str, str]:
    """`## Heading` -> section text, lower-cased headings; fenced `##` lines are code."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_fence = False
    for line in body.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        if not in_fence and line.startswith("## "):
            current = sections.setdefault(line[3:].strip().lower(), [])
        elif current is not None:
            current.append(line)
    return {heading: "\n".join(lines).strip() for heading, lines in sections.items()}


def _prose_sentences(section: str) -> list[str]:
    """Sentences of the section's paragraphs (list items and code are not prose)."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", section):
        lines = [line.strip() for line in paragraph.split("\n")]
        if lines and not any(_BULLET_ITEM.match(line) or _FENCE.match(line) for line in lines):
            sentences.extend(split_sentences(" ".join(lines)))
    return sentences


def _bullets(section: str) -> list[str]:
    return [
        found.group(1).strip()
        for line in section.split("\n")
        if (found := _BULLET_ITEM.match(line))
    ]


@dataclass
class _Item:
    """A list item being read: prose before its code, the code, prose after the code."""

    lines: list[str] = field(default_factory=list)
    code: list[CodeBlock] = field(default_factory=list)
    after: list[str] = field(default_factory=list)

    def add_line(self, line: str) -> None:
        (self.after if self.code else self.lines).append(line.strip())

    def step(self) -> Step:
        text = _for_customer(_join_lines(self.lines))
        return Step(text, tuple(self.code), _for_customer(_join_lines(self.after)))


def _steps(section: str) -> list[Step]:
    """Numbered (or bulleted) items with their indented continuation lines and code."""
    items: list[_Item] = []
    fence: tuple[str, list[str]] | None = None  # language and lines of an open code fence
    for line in section.split("\n"):
        opened = _FENCE.match(line)
        if fence is not None and opened:
            if items:
                items[-1].code.append(CodeBlock(fence[0] or "text", _dedent(fence[1])))
            fence = None
        elif fence is not None:
            fence[1].append(line)
        elif opened:
            fence = (opened.group(1), [])
        elif item := (_NUMBERED_ITEM.match(line) or _BULLET_ITEM.match(line)):
            items.append(_Item([item.group(item.lastindex or 1)]))
        elif line.strip() and items:
            items[-1].add_line(line)
    steps = [item.step() for item in items]
    return [step for step in steps if step.text or step.code]


def _dedent(lines: list[str]) -> str:
    return textwrap.dedent("\n".join(lines))


def _for_customer(text: str) -> str:
    """`text` without the sentences addressed to the support agent."""
    kept = [s for s in split_sentences(text) if not _ADDRESSED_TO_AGENT.match(s)]
    return " ".join(_filled(kept))


def _join_lines(lines: list[str]) -> str:
    """An item's lines as one paragraph; sub-list items become clauses of it."""
    return " ".join(line.removeprefix("- ") for line in lines)
