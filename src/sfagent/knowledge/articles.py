"""Knowledge articles: front matter plus Markdown, parsed into plain data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from sfagent.errors import SfagentError

REQUIRED_FIELDS = ("id", "title", "category", "status")
LIST_FIELDS = frozenset({"tags", "error_ids", "links"})
KNOWN_FIELDS = frozenset(
    {
        "id",
        "title",
        "category",
        "product",
        "tags",
        "applies_to",
        "error_ids",
        "source",
        "status",
        "links",
        "version",
    }
)
_KEY = re.compile(r"^[a-z_]+$")
_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
# "API v45.0+", "v45.0-v60.0", "45.0 - 60.0": the forms `applies_to` may use for a range.
_VERSION_RANGE = re.compile(
    r"^(?:api\s*)?v?(?P<low>\d+(?:\.\d+)?)\s*(?:(?P<plus>\+)|-\s*v?(?P<high>\d+(?:\.\d+)?))?$",
    re.IGNORECASE,
)


class ArticleError(SfagentError):
    """A knowledge article whose front matter cannot be read; names the file and field."""

    status_code = 422

    def __init__(self, message: str, *, source: str | None, field: str | None = None) -> None:
        where = source or "<article>"
        prefix = f"{where}: {field}: " if field else f"{where}: "
        super().__init__(prefix + message, details={"source": where, "field": field})
        self.source = source
        self.field = field


@dataclass(frozen=True, slots=True)
class Article:
    """One knowledge article: its metadata and Markdown body."""

    id: str
    title: str
    body: str
    category: str
    product: str = ""
    tags: tuple[str, ...] = ()
    applies_to: str = "all"
    error_ids: tuple[str, ...] = ()
    source: str = ""
    status: str = "published"
    links: tuple[str, ...] = ()
    version: int = 1


def parse_article(text: str, *, source_path: str | None = None) -> Article:
    """Parse `---` front matter and a Markdown body; raise `ArticleError` on bad input."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise ArticleError("must open with a '---' front matter line", source=source_path)
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise ArticleError("front matter is not closed by '---'", source=source_path) from None
    meta = _parse_front_matter(lines[1:end], source_path)
    body = "\n".join(lines[end + 1 :]).strip("\n")
    return _build_article(meta, body, source_path)


def load_default_articles() -> list[Article]:
    """The shipped default knowledge base, sorted by article id."""
    root = resources.files("sfagent") / "data" / "knowledge"
    articles: list[Article] = []
    for folder in sorted(root.iterdir(), key=lambda item: item.name):
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda item: item.name):
            if entry.name.endswith(".md"):
                label = f"data/knowledge/{folder.name}/{entry.name}"
                articles.append(parse_article(entry.read_text("utf-8"), source_path=label))
    return sorted(articles, key=lambda article: article.id)


def api_version_applies(applies_to: str, api_version: float) -> bool:
    """True when `applies_to` is "all", free text, or a version range that holds `api_version`."""
    found = _VERSION_RANGE.match(applies_to.strip())
    if found is None:
        # Free text ("Lightning Experience") is not a version constraint, so it never excludes.
        return True
    low = float(found["low"])
    if found["plus"]:
        return api_version >= low
    if found["high"]:
        return low <= api_version <= float(found["high"])
    return api_version == low


def _parse_front_matter(lines: list[str], source: str | None) -> dict[str, str | list[str]]:
    meta: dict[str, str | list[str]] = {}
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip()
        if not sep or not _KEY.match(key):
            raise ArticleError(f"bad front matter line {line!r}", source=source)
        if key in meta:
            raise ArticleError("appears twice", source=source, field=key)
        meta[key] = _parse_value(value, key, source)
    return meta


def _parse_value(raw: str, key: str, source: str | None) -> str | list[str]:
    raw = raw.strip()
    if raw.startswith("["):
        if not raw.endswith("]"):
            raise ArticleError("list is not closed by ']'", source=source, field=key)
        inner = raw[1:-1].strip()
        return [_unquote(item) for item in inner.split(",")] if inner else []
    return _unquote(raw)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _build_article(meta: dict[str, str | list[str]], body: str, source: str | None) -> Article:
    for key in REQUIRED_FIELDS:
        if not meta.get(key):
            raise ArticleError("is required", source=source, field=key)
    unknown = sorted(set(meta) - KNOWN_FIELDS)
    if unknown:
        raise ArticleError("unknown field", source=source, field=unknown[0])
    article_id = _scalar(meta, "id", source)
    if not _SLUG.match(article_id):
        raise ArticleError(f"{article_id!r} is not a lowercase slug", source=source, field="id")
    return Article(
        id=article_id,
        title=_scalar(meta, "title", source),
        body=body,
        category=_scalar(meta, "category", source),
        product=_scalar(meta, "product", source),
        tags=tuple(tag.lower() for tag in _items(meta, "tags", source)),
        applies_to=_scalar(meta, "applies_to", source) or "all",
        error_ids=_items(meta, "error_ids", source),
        source=_scalar(meta, "source", source),
        status=_scalar(meta, "status", source),
        links=_items(meta, "links", source),
        version=_version(meta, source),
    )


def _scalar(meta: dict[str, str | list[str]], key: str, source: str | None) -> str:
    value = meta.get(key, "")
    if isinstance(value, list):
        raise ArticleError("must be a single value, not a list", source=source, field=key)
    return value


def _items(meta: dict[str, str | list[str]], key: str, source: str | None) -> tuple[str, ...]:
    value = meta.get(key, [])
    if isinstance(value, str):
        raise ArticleError("must be a [list]", source=source, field=key)
    return tuple(item for item in value if item)


def _version(meta: dict[str, str | list[str]], source: str | None) -> int:
    raw = _scalar(meta, "version", source) or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise ArticleError(f"{raw!r} is not a positive integer", source=source, field="version")
    return int(raw)
