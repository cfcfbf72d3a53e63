"""The shipped default knowledge base: well-formed articles, cross-linked to the error catalog."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

import sfagent
from sfagent.diagnostics.errors import default_catalog

KNOWLEDGE_DIR = Path(sfagent.__file__).parent / "data" / "knowledge"

REQUIRED_KEYS = (
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
)
LIST_KEYS = frozenset({"tags", "error_ids", "links"})
CATEGORIES = frozenset(
    {
        "apex_runtime_error",
        "governor_limit",
        "soql_error",
        "dml_validation_error",
        "api_integration",
        "authentication_login",
        "permissions_sharing",
        "data_import_export",
        "flow_automation",
        "deployment_metadata",
        "lightning_lwc",
        "reports_dashboards",
        "billing_account",
        "how_to_config",
        "other",
    }
)
REQUIRED_SECTIONS = ("Problem", "Symptoms", "Cause", "Steps", "How to verify")
OPTIONAL_SECTIONS = frozenset({"Related"})
DOC_HOSTS = ("developer.salesforce.com", "help.salesforce.com", "trailhead.salesforce.com")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MIN_WORDS, MAX_WORDS = 250, 750

# Minimum articles per topic folder: the coverage the knowledge base promises.
MIN_PER_FOLDER = {
    "governor-limits": 10,
    "apex-exceptions": 10,
    "apex-triggers": 6,
    "async-apex": 8,
    "soql": 10,
    "dml-errors": 10,
    "api-integration": 10,
    "oauth": 10,
    "login-security": 8,
    "permissions-sharing": 10,
    "data-import-export": 8,
    "reports-dashboards": 8,
    "flow": 10,
    "deployment": 10,
    "lwc-aura": 10,
    "billing-templates": 10,
}
# Catalog entries that must each be explained by at least one article.
MUST_HAVE_ARTICLE = (
    "limit-too-many-soql-queries",
    "limit-too-many-dml-statements",
    "limit-too-many-dml-rows",
    "limit-too-many-query-rows",
    "limit-apex-cpu-time",
    "limit-apex-heap-size",
    "limit-too-many-callouts",
    "limit-too-many-future-calls",
    "limit-too-many-queueable-jobs",
    "limit-too-many-sosl-queries",
    "limit-too-many-email-invocations",
    "limit-maximum-stack-depth",
    "limit-maximum-trigger-depth",
    "limit-too-many-query-locator-rows",
    "limit-concurrent-long-running-apex",
    "limit-callout-total-time",
    "limit-scheduled-jobs",
    "limit-batch-job-queue-full",
    "apex-null-pointer",
    "query-list-has-no-rows",
    "query-non-selective",
    "query-field-not-queried",
    "dml-field-custom-validation",
    "dml-required-field-missing",
    "dml-duplicate-value",
    "dml-duplicates-detected",
    "dml-unable-to-lock-row",
    "dml-mixed-dml-operation",
    "dml-insufficient-access-or-readonly",
    "dml-cannot-insert-update-activate-entity",
    "dml-invalid-cross-reference-key",
    "dml-string-too-long",
    "api-invalid-session-id",
    "api-request-limit-exceeded",
    "oauth-invalid-grant-authentication-failure",
    "oauth-invalid-grant-expired-token",
    "oauth-jwt-audience-invalid",
    "oauth-jwt-invalid-assertion",
    "oauth-ip-restricted-or-login-hours",
    "oauth-user-not-approved-consumer",
    "deploy-code-coverage-below-75",
    "deploy-trigger-no-coverage",
    "flow-unhandled-fault",
)


@dataclass(frozen=True)
class Article:
    """One parsed knowledge file: its front matter, body and place in the tree."""

    path: Path
    meta: dict[str, str | list[str]]
    body: str

    @property
    def folder(self) -> str:
        return self.path.parent.name

    def text(self, key: str) -> str:
        value = self.meta[key]
        assert isinstance(value, str), f"{self.path}: {key} must be a single value"
        return value

    def items(self, key: str) -> list[str]:
        value = self.meta[key]
        assert isinstance(value, list), f"{self.path}: {key} must be a [list]"
        return value


def parse_value(raw: str) -> str | list[str]:
    """A scalar, or a `[a, b, c]` list split on commas."""
    raw = raw.strip()
    if raw.startswith("[") and raw.endswith("]"):
        inner = raw[1:-1].strip()
        return [item.strip() for item in inner.split(",")] if inner else []
    return raw


def parse_article(path: Path) -> Article:
    """Split a file into `key: value` front matter and a Markdown body."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0] == "---", f"{path}: must open with a '---' line"
    end = lines.index("---", 1)
    meta: dict[str, str | list[str]] = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(": ")
        assert sep and re.fullmatch(r"[a-z_]+", key), f"{path}: bad front matter line {line!r}"
        assert key not in meta, f"{path}: duplicate key {key}"
        meta[key] = parse_value(value)
    return Article(path=path, meta=meta, body="\n".join(lines[end + 1 :]))


def headings(body: str) -> list[str]:
    """Second-level headings outside fenced code blocks."""
    found: list[str] = []
    in_fence = False
    for line in body.split("\n"):
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and line.startswith("## "):
            found.append(line[3:].strip())
    return found


@cache
def articles() -> tuple[Article, ...]:
    return tuple(parse_article(path) for path in sorted(KNOWLEDGE_DIR.rglob("*.md")))


def test_there_are_at_least_160_articles() -> None:
    assert len(articles()) >= 160


def test_every_article_sits_in_a_topic_folder() -> None:
    for article in articles():
        assert article.path.parent.parent == KNOWLEDGE_DIR, article.path


def test_front_matter_has_every_required_key() -> None:
    for article in articles():
        missing = [key for key in REQUIRED_KEYS if key not in article.meta]
        assert not missing, f"{article.path}: missing {missing}"
        for key in REQUIRED_KEYS:
            value = article.meta[key]
            if key in LIST_KEYS:
                assert isinstance(value, list), f"{article.path}: {key} must be a list"
            else:
                assert isinstance(value, str) and value, f"{article.path}: {key} is empty"


def test_ids_are_unique_slugs_matching_the_file_name() -> None:
    ids = [article.text("id") for article in articles()]
    duplicates = [item for item, count in Counter(ids).items() if count > 1]
    assert not duplicates
    for article in articles():
        assert SLUG.match(article.text("id")), article.path
        assert article.path.stem == article.text("id"), article.path


def test_titles_are_unique() -> None:
    titles = Counter(article.text("title").lower() for article in articles())
    assert [title for title, count in titles.items() if count > 1] == []


def test_category_source_and_status_are_valid() -> None:
    for article in articles():
        assert article.text("category") in CATEGORIES, article.path
        assert article.text("source") == "sfagent default knowledge base", article.path
        assert article.text("status") == "published", article.path


def test_tags_are_present_and_lowercase() -> None:
    for article in articles():
        tags = article.items("tags")
        assert tags, f"{article.path}: no tags"
        assert all(tag and tag == tag.lower() for tag in tags), article.path


def test_body_has_the_required_sections_in_order() -> None:
    for article in articles():
        found = headings(article.body)
        assert [h for h in found if h not in OPTIONAL_SECTIONS] == list(REQUIRED_SECTIONS), (
            f"{article.path}: sections {found}"
        )
        if "Related" in found:
            assert found[-1] == "Related", f"{article.path}: Related must come last"


def test_steps_are_numbered() -> None:
    for article in articles():
        steps = article.body.split("## Steps", 1)[1].split("## How to verify", 1)[0]
        assert re.search(r"^1\. ", steps, re.MULTILINE), f"{article.path}: steps not numbered"


def test_code_fences_are_closed() -> None:
    for article in articles():
        fences = [line for line in article.body.split("\n") if line.startswith("```")]
        assert len(fences) % 2 == 0, article.path


def test_body_length_is_within_bounds() -> None:
    for article in articles():
        words = len(article.body.split())
        assert MIN_WORDS <= words <= MAX_WORDS, f"{article.path}: {words} words"


def test_every_error_id_exists_in_the_catalog() -> None:
    catalog = default_catalog()
    for article in articles():
        unknown = [eid for eid in article.items("error_ids") if catalog.get(eid) is None]
        assert not unknown, f"{article.path}: unknown error ids {unknown}"


def test_important_catalog_entries_have_an_article() -> None:
    explained = {eid for article in articles() for eid in article.items("error_ids")}
    missing = [eid for eid in MUST_HAVE_ARTICLE if eid not in explained]
    assert not missing


def test_links_are_https_official_documentation() -> None:
    for article in articles():
        for link in article.items("links"):
            assert link.startswith("https://"), f"{article.path}: {link}"
            host = link.removeprefix("https://").split("/", 1)[0]
            assert host in DOC_HOSTS, f"{article.path}: {link}"


def test_articles_about_errors_link_documentation() -> None:
    for article in articles():
        if article.items("error_ids"):
            assert article.items("links"), f"{article.path}: explains errors but cites nothing"


@pytest.mark.parametrize(("folder", "minimum"), sorted(MIN_PER_FOLDER.items()))
def test_each_topic_area_has_enough_articles(folder: str, minimum: int) -> None:
    count = sum(1 for article in articles() if article.folder == folder)
    assert count >= minimum


def test_governor_limit_category_is_well_covered() -> None:
    categories = Counter(article.text("category") for article in articles())
    assert categories["governor_limit"] >= 10
    assert categories["api_integration"] + categories["authentication_login"] >= 20
    assert categories["flow_automation"] >= 10


def test_billing_templates_are_marked_and_use_placeholders() -> None:
    templates = [article for article in articles() if article.folder == "billing-templates"]
    for article in templates:
        assert article.text("category") == "billing_account", article.path
        assert "template" in article.items("tags"), article.path
        assert article.text("title").startswith("Template:"), article.path
        assert "{{COMPANY}}" in article.body, article.path
        assert "{{SUPPORT_EMAIL}}" in article.body, article.path


def test_placeholders_appear_only_in_templates() -> None:
    for article in articles():
        if article.folder != "billing-templates":
            assert "{{" not in article.body, f"{article.path}: placeholder outside a template"


def test_parser_rejects_a_file_without_front_matter(tmp_path: Path) -> None:
    broken = tmp_path / "broken.md"
    broken.write_text("# No front matter\n\n## Problem\n", encoding="utf-8")
    with pytest.raises(AssertionError):
        parse_article(broken)


def test_parser_reads_lists_and_scalars(tmp_path: Path) -> None:
    sample = tmp_path / "sample.md"
    sample.write_text(
        "---\nid: sample\ntags: [a, b c]\nerror_ids: []\ntitle: A: B\n---\n\n## Problem\n",
        encoding="utf-8",
    )
    article = parse_article(sample)
    assert article.meta == {"id": "sample", "tags": ["a", "b c"], "error_ids": [], "title": "A: B"}
