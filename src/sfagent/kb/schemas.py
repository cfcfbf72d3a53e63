"""Request and response bodies of /api/v1/kb."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from sfagent.nlu.catalog import SupportCategory

ArticleStatus = Literal["draft", "published", "archived"]
Slug = Annotated[
    str,
    StringConstraints(min_length=1, max_length=120, pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"),
]
ShortText = Annotated[str, StringConstraints(max_length=300)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=60)]
Link = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"^https?://\S+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _no_nul_characters(self) -> Self:
        # PostgreSQL text and JSON cannot hold U+0000; say so rather than fail on save.
        for name, value in self:
            texts = value if isinstance(value, list) else [value]
            if any(isinstance(text, str) and "\x00" in text for text in texts):
                raise ValueError(f"{name} contains a NUL character (U+0000); remove it")
        return self


class ArticleFields(_Strict):
    """What a writer may set on an article besides its slug (all optional for PATCH)."""

    title: Annotated[str, StringConstraints(min_length=1, max_length=300)] | None = None
    body: Annotated[str, StringConstraints(min_length=1)] | None = None
    category: SupportCategory | None = None
    product: Annotated[str, StringConstraints(max_length=120)] | None = None
    tags: Annotated[list[Tag], Field(max_length=50)] | None = None
    applies_to: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None
    error_ids: Annotated[list[Tag], Field(max_length=50)] | None = None
    links: Annotated[list[Link], Field(max_length=50)] | None = None
    source: ShortText | None = None
    status: ArticleStatus | None = None


class ArticleCreate(ArticleFields):
    """A new article. Using a default article's slug creates this tenant's override of it."""

    slug: Slug
    title: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    body: Annotated[str, StringConstraints(min_length=1)]
    category: SupportCategory


class ArticleUpdate(ArticleFields):
    """Changed fields. `version`, when given, must be the current one (else 409)."""

    version: Annotated[int, Field(ge=1)] | None = None
    change_note: ShortText | None = None


class ArticleStatsOut(BaseModel):
    usage_count: int
    helpful_count: int
    unhelpful_count: int
    confidence: float


class ArticleOut(BaseModel):
    slug: str
    origin: Literal["default", "tenant"]
    overrides_default: bool
    title: str
    body: str
    category: str
    product: str
    tags: list[str]
    applies_to: str
    error_ids: list[str]
    links: list[str]
    source: str
    status: str
    version: int
    content_hash: str
    imported_from: str | None
    external_id: str | None
    stats: ArticleStatsOut
    created_at: datetime | None
    updated_at: datetime | None
    updated_by: str | None


class ArticleSummaryOut(BaseModel):
    slug: str
    origin: Literal["default", "tenant"]
    title: str
    category: str
    product: str
    status: str
    version: int
    updated_at: datetime | None


class ArticlePage(BaseModel):
    items: list[ArticleSummaryOut]
    next_cursor: str | None


class ArticleVersionOut(BaseModel):
    version: int
    title: str
    body: str
    fields: dict[str, object]
    content_hash: str
    change: str
    changed_by: str
    created_at: datetime


class SearchHitOut(BaseModel):
    slug: str
    title: str
    category: str
    origin: Literal["default", "tenant"]
    score: float
    section: str
    snippet: str
    highlights: list[tuple[int, int]]
    matched_terms: list[str]


class SearchOut(BaseModel):
    query: str
    results: list[SearchHitOut]
    took_ms: float


class FeedbackIn(_Strict):
    helpful: bool


class IngestArticleIn(ArticleCreate):
    """One article of a bulk import; `external_id` lets a re-import update, not duplicate."""

    external_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class IngestIn(_Strict):
    articles: Annotated[list[IngestArticleIn], Field(min_length=1)]
    dry_run: bool = False


class IngestFindingOut(BaseModel):
    kind: str
    slug: str
    other: str | None
    similarity: float | None
    detail: str


class IngestOut(BaseModel):
    dry_run: bool
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    skipped: list[str]
    findings: list[IngestFindingOut]
    revision: int
