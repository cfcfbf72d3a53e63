"""Read knowledge articles from Markdown, HTML, JSON and CSV files, reporting every bad input."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sfagent.errors import SfagentError
from sfagent.knowledge.articles import Article, ArticleError, parse_article
from sfagent.knowledge.html_markdown import html_to_markdown

MAX_BODY_CHARS = 200_000
MAX_FILE_BYTES = 5 * 1024 * 1024
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SOURCE_SUFFIXES = MARKDOWN_SUFFIXES | HTML_SUFFIXES | {".json", ".csv"}
BODY_FIELDS = ("body", "content", "html")  # first non-empty wins; `html` is converted
# The same slug rule `parse_article` enforces, so ingested ids round-trip through it.
SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_BLANK_RUN = re.compile(r"\n{3,}")


class IngestError(SfagentError):
    """An ingest request that cannot start at all, such as a path that does not exist."""

    status_code = 422


@dataclass(frozen=True, slots=True)
class IngestDefaults:
    """Metadata for articles whose source leaves a field empty (no front matter, blank cell)."""

    category: str = "other"
    product: str = ""
    tags: tuple[str, ...] = ()
    applies_to: str = "all"
    status: str = "published"
    source: str = ""


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Size caps: one runaway export must not exhaust memory or bloat the index."""

    max_body_chars: int = MAX_BODY_CHARS
    max_file_bytes: int = MAX_FILE_BYTES


@dataclass(frozen=True, slots=True)
class IngestProblem:
    """One input that was skipped, and what to fix.

    `line_or_row` is the line for text files, the spreadsheet row for CSV (header = row 1)
    and the item number for JSON records (first = 1); None when the whole file is at fault.
    """

    source: str
    line_or_row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.source]
        if self.line_or_row is not None:
            parts.append(f"{_position_word(self.source)} {self.line_or_row}")
        if self.field:
            parts.append(self.field)
        return ": ".join([*parts, self.message])


@dataclass(slots=True)
class IngestBatch:
    """Articles read from one or more sources, and the problems met on the way."""

    articles: list[Article] = field(default_factory=list)
    problems: list[IngestProblem] = field(default_factory=list)

    def extend(self, other: IngestBatch) -> None:
        """Append another batch's articles and problems to this one."""
        self.articles.extend(other.articles)
        self.problems.extend(other.problems)


class _Rejected(Exception):
    """Internal: one record or file is unusable; becomes an `IngestProblem` at the boundary."""

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.line = line


def slugify(text: str) -> str:
    """A lowercase ASCII slug (`"Reset a User's Password"` → `"reset-a-user-s-password"`)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")


def content_hash(article: Article) -> str:
    """A sha256 of the normalised title, body and metadata; the id and version are left out.

    Leaving the id out makes a copy filed under another id hash the same (an exact duplicate);
    leaving the version out means a re-export that only bumps the version is "unchanged".
    """
    payload = {
        "title": " ".join(unicodedata.normalize("NFC", article.title).split()),
        "body": _normalise_body(article.body),
        "category": article.category,
        "product": article.product,
        "tags": sorted({tag.lower() for tag in article.tags}),
        "applies_to": article.applies_to,
        "error_ids": sorted(set(article.error_ids)),
        "status": article.status,
        "links": sorted(set(article.links)),
    }
    encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def iter_sources(path: Path) -> list[Path]:
    """The files `read_source` would read under `path`: itself, or a sorted recursive walk."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise IngestError(f"{path}: no such file or folder")
    found: list[Path] = []
    for folder, subfolders, files in os.walk(path):
        # Hidden folders are tool state (.git, .obsidian), never articles.
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in files:
            if not name.startswith(".") and Path(name).suffix.lower() in SOURCE_SUFFIXES:
                found.append(Path(folder) / name)
    return sorted(found, key=lambda item: item.relative_to(path).as_posix())


def read_source(
    path: Path,
    defaults: IngestDefaults = IngestDefaults(),
    *,
    limits: IngestLimits = IngestLimits(),
) -> IngestBatch:
    """Articles in one file; a bad file or record becomes a problem, never an exception."""
    label = str(path)
    batch = IngestBatch()
    try:
        text = _read_text(path, limits)
        records = _read_records(path, text, label, defaults, limits, batch)
    except _Rejected as rejected:
        batch.problems.append(IngestProblem(label, rejected.line, rejected.field, rejected.message))
        return batch
    _accept_unique(batch, records, label)
    return batch


def ingest_path(
    path: Path,
    defaults: IngestDefaults = IngestDefaults(),
    *,
    limits: IngestLimits = IngestLimits(),
    on_source: Callable[[Path, IngestBatch], None] | None = None,
) -> IngestBatch:
    """Read every source under `path`; `on_source` is called after each file (progress bars)."""
    sources = iter_sources(path)
    batch = IngestBatch()
    if not sources:
        wanted = ", ".join(sorted(SOURCE_SUFFIXES))
        batch.problems.append(IngestProblem(str(path), None, None, f"no {wanted} files found"))
    seen: dict[str, str] = {}
    for source in sources:
        file_batch = read_source(source, defaults, limits=limits)
        batch.problems.extend(file_batch.problems)
        for article in file_batch.articles:
            if article.id in seen:
                message = f"id {article.id!r} was already read from {seen[article.id]}; rename one"
                batch.problems.append(IngestProblem(str(source), None, "id", message))
            else:
                seen[article.id] = str(source)
                batch.articles.append(article)
        if on_source is not None:
            on_source(source, file_batch)
    return batch


def _read_text(path: Path, limits: IngestLimits) -> str:
    try:
        with path.open("rb") as handle:
            # One byte past the cap is enough to know it is too big, without reading it all.
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as error:
        raise _Rejected(f"cannot be read: {error.strerror or error}") from None
    if len(data) > limits.max_file_bytes:
        raise _Rejected(f"file is over the {limits.max_file_bytes:,}-byte limit; split it")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise _Rejected(
            "contains a NUL byte: is it a binary or UTF-16 file? Save it as UTF-8", line=line
        )
    try:
        # utf-8-sig drops the byte-order mark Excel and Notepad put in front of exports.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        bad = data[error.start : error.start + 1].hex()
        raise _Rejected(f"not UTF-8 (byte 0x{bad}); re-save the file as UTF-8", line=line) from None


def _read_records(
    path: Path,
    text: str,
    label: str,
    defaults: IngestDefaults,
    limits: IngestLimits,
    batch: IngestBatch,
) -> list[tuple[int | None, Article]]:
    """(line or row, article) pairs; bad records are added to `batch.problems` as they occur."""
    suffix = path.suffix.lower()
    if suffix in MARKDOWN_SUFFIXES:
        return [(None, _markdown_article(path, text, label, defaults, limits))]
    if suffix in HTML_SUFFIXES:
        return [(None, _html_article(path, text, defaults, limits))]
    if suffix == ".json":
        return _collect(_json_records(text), label, defaults, limits, batch)
    if suffix == ".csv":
        return _collect(_csv_records(text), label, defaults, limits, batch)
    wanted = ", ".join(sorted(SOURCE_SUFFIXES))
    raise _Rejected(f"unsupported file type {suffix or '(none)'!r}; use one of {wanted}")


def _accept_unique(
    batch: IngestBatch, records: list[tuple[int | None, Article]], label: str
) -> None:
    seen: set[str] = set()
    for row, article in records:
        if article.id in seen:
            message = f"id {article.id!r} appears earlier in this file; give each article its own"
            batch.problems.append(IngestProblem(label, row, "id", message))
        else:
            seen.add(article.id)
            batch.articles.append(article)


# --- Markdown and HTML files -------------------------------------------------------------


def _markdown_article(
    path: Path, text: str, label: str, defaults: IngestDefaults, limits: IngestLimits
) -> Article:
    if text.split("\n", 1)[0].strip() != "---":
        title = _first_heading(text) or _title_from_name(path)
        return _plain_article(path, title, text, defaults, limits)
    try:
        article = parse_article(text, source_path=label)
    except ArticleError as error:
        # The error text repeats the file and field that the problem already carries.
        message = error.message.removeprefix(f"{label}: ").removeprefix(f"{error.field}: ")
        raise _Rejected(message, field=error.field) from None
    # Front matter wins; defaults only fill what it leaves empty.
    filled = dataclasses.replace(
        article,
        product=article.product or defaults.product,
        tags=article.tags or _lowered(defaults.tags),
        source=article.source or defaults.source,
    )
    return _checked(filled, limits)


def _html_article(path: Path, text: str, defaults: IngestDefaults, limits: IngestLimits) -> Article:
    title, markdown = html_to_markdown(text)
    return _plain_article(path, title or _title_from_name(path), markdown, defaults, limits)


def _plain_article(
    path: Path, title: str, body: str, defaults: IngestDefaults, limits: IngestLimits
) -> Article:
    """An article with no metadata of its own: the id comes from the file name."""
    # The file name, not the title, so that retitling an article keeps its id.
    article_id = slugify(path.stem) or slugify(title)
    if not article_id:
        raise _Rejected("cannot make an id from the file name; add front matter with an id")
    article = Article(
        id=article_id,
        title=title,
        body=body.strip(),
        category=defaults.category,
        product=defaults.product,
        tags=_lowered(defaults.tags),
        applies_to=defaults.applies_to,
        source=defaults.source,
        status=defaults.status,
    )
    return _checked(article, limits)


def _first_heading(markdown: str) -> str:
    in_fence = False
    for line in markdown.split("\n"):
        if line.strip().startswith("```"):
            in_fence = not in_fence
        elif not in_fence and (found := _HEADING.match(line)):
            return found.group(1)
    return ""


def _title_from_name(path: Path) -> str:
    words = re.sub(r"[-_]+", " ", path.stem).strip()
    return words[:1].upper() + words[1:]


# --- JSON and CSV exports -----------------------------------------------------------------

_Records = Iterator[tuple[int, Mapping[str, object] | _Rejected]]


def _collect(
    records: _Records,
    label: str,
    defaults: IngestDefaults,
    limits: IngestLimits,
    batch: IngestBatch,
) -> list[tuple[int | None, Article]]:
    articles: list[tuple[int | None, Article]] = []
    for row, record in records:
        try:
            if isinstance(record, _Rejected):
                raise record
            articles.append((row, _record_article(record, defaults, limits)))
        except _Rejected as rejected:
            batch.problems.append(IngestProblem(label, row, rejected.field, rejected.message))
    return articles


def _json_records(text: str) -> _Records:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno} column {error.colno}"
        raise _Rejected(f"invalid JSON at {where}: {error.msg}") from None
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    if not isinstance(data, list):
        raise _Rejected('expected a list of articles or {"articles": [...]}')
    for number, item in enumerate(data, start=1):
        if isinstance(item, dict):
            yield number, item
        else:
            yield number, _Rejected("each article must be a JSON object")


def _csv_records(text: str) -> _Records:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _csv_header(reader)
    row = 1
    try:
        # Row numbers match a spreadsheet view: the header is row 1.
        for row, cells in enumerate(reader, start=2):
            if cells:
                yield row, _csv_record(header, cells)
    except csv.Error as error:
        # The reader cannot resynchronise after a malformed record; keep the rows before it.
        yield row + 1, _Rejected(f"unreadable CSV, rest of file skipped: {error}")


def _csv_header(reader: Iterator[list[str]]) -> list[str]:
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as error:
        raise _Rejected(f"unreadable CSV header: {error}", line=1) from None
    if "title" not in header or not set(BODY_FIELDS) & set(header):
        found = ", ".join(header) or "nothing"
        raise _Rejected(
            "the first row must be a header naming a title column and a body, content "
            f"or html column (found: {found})",
            line=1,
        )
    return header


def _csv_record(header: list[str], cells: list[str]) -> Mapping[str, object] | _Rejected:
    if len(cells) > len(header):
        extra = len(cells) - len(header)
        return _Rejected(f"{extra} more cell(s) than the header; quote cells that hold commas")
    return dict(zip(header, cells, strict=False))


def _record_article(
    record: Mapping[str, object], defaults: IngestDefaults, limits: IngestLimits
) -> Article:
    title = " ".join(_text(record, "title").split())
    if not title:
        raise _Rejected("is required", field="title")
    article_id = _text(record, "id") or slugify(title)
    if not SLUG.match(article_id):
        suggestion = slugify(article_id)
        raise _Rejected(f"{article_id!r} is not a lowercase slug (try {suggestion!r})", field="id")
    article = Article(
        id=article_id,
        title=title,
        body=_record_body(record),
        category=_text(record, "category") or defaults.category,
        product=_text(record, "product") or defaults.product,
        tags=_lowered(_items(record, "tags") or defaults.tags),
        applies_to=_text(record, "applies_to") or defaults.applies_to,
        error_ids=_items(record, "error_ids"),
        source=_text(record, "source") or defaults.source,
        status=_text(record, "status") or defaults.status,
        links=_items(record, "links"),
        version=_record_version(record),
    )
    return _checked(article, limits)


def _record_body(record: Mapping[str, object]) -> str:
    for key in BODY_FIELDS:
        value = _text(record, key)
        if value:
            return html_to_markdown(value)[1] if key == "html" else value
    return ""


def _text(record: Mapping[str, object], key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    # bool is an int subclass, but `true` is never a sensible title or category.
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()
    raise _Rejected(f"must be text, not {type(value).__name__}", field=key)


def _items(record: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = record.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        # Spreadsheets have no list type, so exports write "apex, soql".
        return tuple(item.strip() for item in value.split(",") if item.strip())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(item.strip() for item in value if item.strip())
    raise _Rejected("must be a list of strings or a comma-separated string", field=key)


def _record_version(record: Mapping[str, object]) -> int:
    value = record.get("version")
    if value is None or value == "":
        return 1
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    if isinstance(value, str) and value.strip().isdigit() and int(value) >= 1:
        return int(value)
    raise _Rejected(f"{value!r} is not a positive integer", field="version")


# --- shared checks -------------------------------------------------------------------------


def _checked(article: Article, limits: IngestLimits) -> Article:
    if not article.body.strip():
        raise _Rejected("is empty; give the article some text", field="body")
    if len(article.body) > limits.max_body_chars:
        raise _Rejected(
            f"is {len(article.body):,} characters, over the {limits.max_body_chars:,} limit; "
            "split the article",
            field="body",
        )
    return article


def _lowered(tags: Iterable[str]) -> tuple[str, ...]:
    # parse_article lowercases tags; every source does the same so filters match.
    return tuple(tag.lower() for tag in tags)


def _normalise_body(body: str) -> str:
    text = unicodedata.normalize("NFC", body.replace("\r\n", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUN.sub("\n\n", text).strip()


def _position_word(source: str) -> str:
    suffix = Path(source).suffix.lower()
    return {".csv": "row", ".json": "item"}.get(suffix, "line")
