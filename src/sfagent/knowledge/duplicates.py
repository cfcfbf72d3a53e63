"""Duplicate and conflict detection for incoming articles: everything is reported, nothing merged.

Incoming articles are checked against the existing corpus and against the articles before
them in the same batch; existing articles are never checked against each other.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sfagent.knowledge.articles import Article
from sfagent.knowledge.ingest import content_hash
from sfagent.knowledge.limit_claims import (
    LimitClaims,
    contradictions,
    format_values,
    limit_claims,
)
from sfagent.knowledge.minhash import MinHashIndex, Shingles, jaccard, shingles

DEFAULT_THRESHOLD = 0.8


class DuplicateKind(StrEnum):
    """What an incoming article collides with."""

    EXACT = "exact_duplicate"  # same content hash under another id
    NEAR = "near_duplicate"  # body shingle similarity at or above the threshold
    ID_CONFLICT = "id_conflict"  # same id, different content, and not a plain update
    TITLE_CONFLICT = "title_conflict"  # same title, materially different body
    LIMIT_CONFLICT = "limit_conflict"  # same error id, contradicting numeric limits


@dataclass(frozen=True, slots=True)
class DuplicateReport:
    """One finding; `existing_id` may be an earlier article of the same batch (see `detail`)."""

    kind: DuplicateKind
    incoming_id: str
    existing_id: str
    similarity: float
    detail: str


@dataclass(frozen=True, slots=True)
class _Entry:
    """An article with what the checks need, computed once."""

    position: int  # existing first, then incoming in batch order
    article: Article
    incoming: bool
    digest: str
    shingles: Shingles

    def where(self) -> str:
        return "in this batch" if self.incoming else "existing"


def find_duplicates(
    incoming: Sequence[Article],
    existing: Sequence[Article],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    locally_edited: Collection[str] = frozenset(),
) -> list[DuplicateReport]:
    """Exact and near duplicates and conflicts between `incoming` and `existing` articles.

    Versions come from `Article.version`; `locally_edited` names existing article ids changed
    by hand since their last import, which an incoming copy must not overwrite silently.
    """
    index = MinHashIndex(threshold)  # validates the threshold before any work
    entries = _entries(existing, incoming=False, start=0)
    entries += _entries(incoming, incoming=True, start=len(entries))
    reports: list[DuplicateReport] = []
    reports += _id_conflicts(entries, frozenset(locally_edited))
    reports += _similar_bodies(entries, index, threshold)
    reports += _title_conflicts(entries, threshold)
    reports += _limit_conflicts(entries)
    order = {entry.article.id: entry.position for entry in reversed(entries) if entry.incoming}
    kinds = list(DuplicateKind)
    return sorted(
        reports,
        key=lambda r: (order[r.incoming_id], kinds.index(r.kind), r.existing_id),
    )


def _entries(articles: Sequence[Article], *, incoming: bool, start: int) -> list[_Entry]:
    return [
        _Entry(start + offset, article, incoming, content_hash(article), shingles(article.body))
        for offset, article in enumerate(articles)
    ]


def _id_conflicts(entries: list[_Entry], locally_edited: frozenset[str]) -> list[DuplicateReport]:
    reports: list[DuplicateReport] = []
    existing = {entry.article.id: entry for entry in entries if not entry.incoming}
    batch: dict[str, _Entry] = {}
    for entry in (entry for entry in entries if entry.incoming):
        # A repeat within the batch is judged against the batch's first copy, not the corpus.
        first_in_batch = batch.setdefault(entry.article.id, entry)
        earlier = first_in_batch if first_in_batch is not entry else existing.get(entry.article.id)
        if earlier is None:
            continue  # a new article
        reason = _id_conflict_reason(earlier, entry, locally_edited)
        if reason:
            similarity = jaccard(entry.shingles, earlier.shingles)
            reports.append(_report(DuplicateKind.ID_CONFLICT, entry, earlier, similarity, reason))
    return reports


def _id_conflict_reason(earlier: _Entry, entry: _Entry, locally_edited: frozenset[str]) -> str:
    """Why replacing `earlier` with `entry` needs a human, or "" for an ordinary update."""
    if earlier.incoming:
        return "the same id appears twice in this batch; keep one or rename the other"
    if earlier.digest == entry.digest:
        return ""  # unchanged re-import
    old, new = earlier.article.version, entry.article.version
    if earlier.article.id in locally_edited:
        return f"the existing article was edited locally; importing version {new} would lose it"
    if new <= old:
        return f"content differs but incoming version {new} is not newer than existing {old}"
    return ""


def _similar_bodies(
    entries: list[_Entry], index: MinHashIndex, threshold: float
) -> list[DuplicateReport]:
    reports: list[DuplicateReport] = []
    for entry in entries:
        candidates = index.add(entry.position, entry.shingles)
        if not entry.incoming:
            continue  # existing articles are only indexed, never reported against each other
        for other in (entries[position] for position in sorted(candidates)):
            report = _similar_pair(entry, other, threshold)
            if report is not None:
                reports.append(report)
    return reports


def _similar_pair(entry: _Entry, other: _Entry, threshold: float) -> DuplicateReport | None:
    if entry.article.id == other.article.id:
        return None  # a new version of the same article; `_id_conflicts` judges it
    if entry.digest == other.digest:
        detail = f"identical title, body and metadata to {other.where()} {other.article.id!r}"
        return _report(DuplicateKind.EXACT, entry, other, 1.0, detail)
    similarity = jaccard(entry.shingles, other.shingles)
    if similarity < threshold:
        return None
    detail = f"body is {similarity:.0%} similar to {other.where()} {other.article.id!r}"
    return _report(DuplicateKind.NEAR, entry, other, similarity, detail)


def _title_conflicts(entries: list[_Entry], threshold: float) -> list[DuplicateReport]:
    reports: list[DuplicateReport] = []
    by_title: dict[str, list[_Entry]] = {}
    for entry in entries:
        group = by_title.setdefault(" ".join(entry.article.title.casefold().split()), [])
        if entry.incoming:
            for other in group:
                similarity = jaccard(entry.shingles, other.shingles)
                # Bodies at the threshold are already reported as (near) duplicates.
                if other.article.id != entry.article.id and similarity < threshold:
                    detail = (
                        f"same title as {other.where()} {other.article.id!r} but a different "
                        f"body ({similarity:.0%} similar); merge them or retitle one"
                    )
                    reports.append(
                        _report(DuplicateKind.TITLE_CONFLICT, entry, other, similarity, detail)
                    )
        group.append(entry)
    return reports


def _limit_conflicts(entries: list[_Entry]) -> list[DuplicateReport]:
    reports: list[DuplicateReport] = []
    by_error: dict[str, list[tuple[_Entry, LimitClaims]]] = {}
    for entry in entries:
        if not entry.article.error_ids:
            continue
        claims = limit_claims(entry.article.body)
        # other position -> (other, unit -> note): a unit is noted once per pair, however
        # many error ids the two articles share.
        partners: dict[int, tuple[_Entry, dict[str, str]]] = {}
        for error_id in entry.article.error_ids:
            group = by_error.setdefault(error_id, [])
            if entry.incoming:
                for other, other_claims in group:
                    if other.article.id != entry.article.id:
                        notes = partners.setdefault(other.position, (other, {}))[1]
                        _note_contradictions(notes, error_id, claims, other_claims)
            group.append((entry, claims))
        for other, notes in partners.values():
            if notes:
                reports.append(_limit_report(entry, other, list(notes.values())))
    return reports


def _note_contradictions(
    notes: dict[str, str], error_id: str, claims: LimitClaims, other_claims: LimitClaims
) -> None:
    for unit in contradictions(claims, other_claims):
        here, there = format_values(claims[unit]), format_values(other_claims[unit])
        notes.setdefault(unit, f"{error_id}: {here} {unit} here, {there} there")


def _limit_report(entry: _Entry, other: _Entry, notes: list[str]) -> DuplicateReport:
    detail = f"states different limits than {other.where()} {other.article.id!r}: "
    similarity = jaccard(entry.shingles, other.shingles)
    detail += "; ".join(notes)
    return _report(DuplicateKind.LIMIT_CONFLICT, entry, other, similarity, detail)


def _report(
    kind: DuplicateKind, entry: _Entry, other: _Entry, similarity: float, detail: str
) -> DuplicateReport:
    return DuplicateReport(kind, entry.article.id, other.article.id, round(similarity, 4), detail)
