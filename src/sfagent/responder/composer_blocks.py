"""Markdown blocks shared by the article and diagnosis renderers: lists, steps, citations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sfagent.knowledge import Article
from sfagent.responder.composer_sources import CodeBlock, Step, first_sentence, plain_clauses
from sfagent.responder.composer_types import TechnicalLevel

# Beginners get plain, short sentences; experts get the gist of each step.
BEGINNER_CAUSE_SENTENCES = 2
INTERMEDIATE_CAUSE_SENTENCES = 3
EXPERT_CAUSE_SENTENCES = 1
EXPERT_MAX_STEPS = 5
EXPERT_MAX_CODE_BLOCKS = 2
_LIST_INDENT = "   "


@dataclass
class CitationList:
    """Numbers articles in the order the reply first uses them."""

    articles: list[Article] = field(default_factory=list)

    def marker(self, article: Article) -> str:
        """The inline marker, e.g. " [1]", numbering the article on first use."""
        ids = [cited.id for cited in self.articles]
        if article.id not in ids:
            self.articles.append(article)
            ids.append(article.id)
        return f" [{ids.index(article.id) + 1}]"

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """`(article_id, title)` for every cited article, in marker order."""
        return tuple((article.id, article.title) for article in self.articles)

    def footer(self, heading: str) -> str | None:
        """The "Sources:" list, or None when nothing was cited."""
        if not self.articles:
            return None
        lines = [f"[{n}] {a.title} ({a.id})" for n, a in enumerate(self.articles, start=1)]
        return heading + "\n" + "\n".join(f"- {line}" for line in lines)


def numbered(items: Sequence[str]) -> str:
    """A Markdown numbered list; items may span several lines (indented continuation)."""
    rendered = []
    for number, item in enumerate(items, start=1):
        lines = item.split("\n")
        indented = [_LIST_INDENT + line if line.strip() else "" for line in lines[1:]]
        rendered.append("\n".join([f"{number}. {lines[0]}", *indented]))
    return "\n".join(rendered)


def bulleted(items: Iterable[str]) -> str:
    """A Markdown bullet list."""
    return "\n".join(f"- {item}" for item in items)


def code_markdown(blocks: Iterable[CodeBlock]) -> str:
    """Fenced code blocks separated by blank lines."""
    return "\n\n".join(block.markdown() for block in blocks)


def step_items(steps: Sequence[Step], level: TechnicalLevel) -> list[str]:
    """Steps as list items, shaped for the reader's level."""
    if level is TechnicalLevel.EXPERT:
        return [first_sentence(step.text) for step in steps[:EXPERT_MAX_STEPS]]
    if level is TechnicalLevel.BEGINNER:
        return [item for step in steps for item in _beginner_items(step)]
    return [_full_item(step) for step in steps]


def fix_items(fixes: Sequence[str], level: TechnicalLevel) -> list[str]:
    """Diagnosis fix steps shaped like article steps (they carry no code)."""
    return step_items([Step(text) for text in fixes], level)


def cause_sentences(sentences: Sequence[str], level: TechnicalLevel) -> list[str]:
    """The sentences that explain a cause, as many and as plain as the level needs."""
    if level is TechnicalLevel.BEGINNER:
        plain = [s for sentence in sentences for s in plain_clauses(sentence)]
        return _shortest(plain, BEGINNER_CAUSE_SENTENCES)
    if level is TechnicalLevel.EXPERT:
        return list(sentences[:EXPERT_CAUSE_SENTENCES])
    return list(sentences[:INTERMEDIATE_CAUSE_SENTENCES])


def check_items(checks: Sequence[str], level: TechnicalLevel) -> list[str]:
    """ "How to verify" items; beginners get them without asides."""
    if level is TechnicalLevel.BEGINNER:
        return [" ".join(plain_clauses(check)) for check in checks if plain_clauses(check)]
    return list(checks)


def expert_code(steps: Sequence[Step]) -> tuple[CodeBlock, ...]:
    """The code an expert sees first: the first few blocks of the steps."""
    return tuple(block for step in steps for block in step.code)[:EXPERT_MAX_CODE_BLOCKS]


def _beginner_items(step: Step) -> list[str]:
    """One sentence per item (more, smaller steps), with the step's code after its prose."""
    items = plain_clauses(step.text) or [step.text]
    if step.code:
        items[-1] = items[-1] + "\n\n" + code_markdown(step.code)
    return items + plain_clauses(step.note)


def _full_item(step: Step) -> str:
    item = step.text
    if step.code:
        item += "\n\n" + code_markdown(step.code)
    if step.note:
        item += "\n\n" + step.note
    return item


def _shortest(sentences: list[str], count: int) -> list[str]:
    """The `count` shortest sentences in their original order: short sentences read easier."""
    ranked = sorted(range(len(sentences)), key=lambda i: (len(sentences[i].split()), i))
    return [sentences[i] for i in sorted(ranked[:count])]
