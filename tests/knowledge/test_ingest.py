"""Reading articles from files and folders: fields, defaults, and problems that say what to fix."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from sfagent.knowledge import Article, parse_article
from sfagent.knowledge.ingest import (
    MAX_FILE_BYTES,
    SLUG,
    IngestBatch,
    IngestDefaults,
    IngestError,
    IngestLimits,
    IngestProblem,
    content_hash,
    ingest_path,
    iter_sources,
    read_source,
    slugify,
)

FIXTURES = Path(__file__).parent / "fixtures"
DEFAULTS = IngestDefaults(category="how_to_config", product="Platform", tags=("Imported",))


def by_id(batch: IngestBatch) -> dict[str, Article]:
    return {article.id: article for article in batch.articles}


def problem_lines(batch: IngestBatch) -> list[str]:
    return [str(problem) for problem in batch.problems]


def test_front_matter_markdown_keeps_its_metadata() -> None:
    batch = read_source(FIXTURES / "front-matter.md", DEFAULTS)
    assert batch.problems == []
    [article] = batch.articles
    assert article.id == "reset-locked-user"
    assert article.category == "authentication_login"
    assert article.product == "Sales Cloud"
    assert article.tags == ("login", "lockout")
    assert article.version == 3
    assert article.body.startswith("# Unlock a locked-out user")


def test_markdown_without_front_matter_uses_heading_file_name_and_defaults() -> None:
    [article] = read_source(FIXTURES / "plain-note.md", DEFAULTS).articles
    assert article.id == "plain-note"
    assert article.title == "Export a report to CSV"
    assert (article.category, article.product, article.tags) == (
        "how_to_config",
        "Platform",
        ("imported",),
    )
    assert article.status == "published"
    assert "inside a code fence" in article.body


def test_markdown_without_heading_is_titled_from_its_file_name() -> None:
    [article] = read_source(FIXTURES / "nested" / "sharing_recalc_tips.markdown").articles
    assert article.id == "sharing-recalc-tips"
    assert article.title == "Sharing recalc tips"
    assert article.category == "other"


def test_bad_front_matter_is_a_problem_naming_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text("---\nid: broken\ntitle: Broken\nstatus: published\n---\n\nText.\n")
    batch = read_source(path)
    assert batch.articles == []
    assert batch.problems == [IngestProblem(str(path), None, "category", "is required")]


def test_html_keeps_content_and_drops_scripts_and_styles() -> None:
    [article] = read_source(FIXTURES / "page.html").articles
    assert article.id == "page"
    assert article.title == "Fix UNABLE_TO_LOCK_ROW errors"
    assert article.body.startswith("# Row lock errors")
    assert "`FOR UPDATE`" in article.body
    assert "- Reduce batch size" in article.body
    for leaked in ("do-not-ingest-this", "inline-script-payload", "trackingSecret", "color: red"):
        assert leaked not in article.body


def test_html_without_title_element_is_titled_from_h1(tmp_path: Path) -> None:
    path = tmp_path / "guide.htm"
    path.write_text("<h1>Set up  SSO</h1><p>Use SAML.</p>")
    [article] = read_source(path).articles
    assert article.title == "Set up SSO"


def test_json_list_export_reads_every_field() -> None:
    batch = read_source(FIXTURES / "export-list.json", DEFAULTS)
    articles = by_id(batch)
    soql = articles["soql-101-basics"]
    assert soql.tags == ("apex", "soql")  # a comma string, lowercased
    assert soql.error_ids == ("limit-too-many-soql-queries",)
    assert (soql.applies_to, soql.status, soql.source, soql.version) == (
        "API v45.0+",
        "draft",
        "kb-export",
        2,
    )
    transfer = articles["mass-transfer-records"]  # id slugified from the title
    assert transfer.body == "Use the Mass Transfer Records tool in Setup."  # from `content`
    assert transfer.category == "how_to_config"  # the default fills the missing field


def test_json_bad_item_is_reported_and_the_rest_kept() -> None:
    batch = read_source(FIXTURES / "export-list.json")
    assert len(batch.articles) == 2
    assert batch.problems == [
        IngestProblem(
            str(FIXTURES / "export-list.json"), 2, "body", "is empty; give the article some text"
        )
    ]


def test_json_articles_object_converts_html_and_reports_non_objects() -> None:
    batch = read_source(FIXTURES / "export-object.json")
    [article] = batch.articles
    assert article.body == "## Cause\n\nThe invoice template has no *line items* section."
    assert "xss-from-json" not in article.body
    assert problem_lines(batch) == [
        f"{FIXTURES / 'export-object.json'}: item 2: each article must be a JSON object"
    ]


def test_invalid_json_is_one_problem_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"title": "A",}\n]\n')
    batch = read_source(path)
    assert batch.articles == []
    [problem] = batch.problems
    assert problem.message.startswith("invalid JSON at line 2 column")


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"title": "T", "body": "B", "tags": {"a": 1}}, "tags", "must be a list of strings"),
        ({"title": ["T"], "body": "B"}, "title", "must be text, not list"),
        ({"title": "T", "body": "B", "version": 0}, "version", "0 is not a positive integer"),
    ],
)
def test_json_field_of_the_wrong_type_names_the_field(
    tmp_path: Path, payload: dict[str, object], field: str, message: str
) -> None:
    path = tmp_path / "typed.json"
    path.write_text(json.dumps([payload]))
    [problem] = read_source(path).problems
    assert (problem.line_or_row, problem.field) == (1, field)
    assert problem.message.startswith(message)


def test_csv_bad_rows_are_reported_by_row_and_field_and_the_rest_kept() -> None:
    batch = read_source(FIXTURES / "export.csv")
    assert sorted(by_id(batch)) == ["apex-test-coverage", "flow-element-limit"]
    flow = by_id(batch)["flow-element-limit"]
    assert (
        flow.body == "A flow interview can execute\na limited number of elements; simplify loops."
    )
    assert flow.tags == ("flow", "limits")
    assert flow.error_ids == ("limit-flow-elements",)
    source = str(FIXTURES / "export.csv")
    # Row numbers are spreadsheet rows: the header is row 1, a multi-line cell is one row.
    assert batch.problems == [
        IngestProblem(source, 3, "id", "'Bad Id' is not a lowercase slug (try 'bad-id')"),
        IngestProblem(source, 4, "title", "is required"),
    ]
    assert str(batch.problems[1]) == f"{source}: row 4: title: is required"


def test_csv_without_a_header_is_rejected_with_what_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "headless.csv"
    path.write_text("unlock-user,Unlock a user,Click Unlock\n")
    batch = read_source(path)
    assert batch.articles == []
    [problem] = batch.problems
    assert problem.line_or_row == 1
    assert "header naming a title column" in problem.message


def test_csv_row_with_extra_cells_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text("title,body\nGood,Text\nBad,Text,with, commas\n")
    batch = read_source(path)
    assert [article.id for article in batch.articles] == ["good"]
    [problem] = batch.problems
    assert problem.line_or_row == 3
    assert "2 more cell(s) than the header" in problem.message


def test_non_utf8_file_names_the_line_of_the_bad_byte() -> None:
    path = FIXTURES / "nested" / "latin1-notes.md"
    batch = read_source(path)
    assert batch.articles == []
    assert problem_lines(batch) == [
        f"{path}: line 3: not UTF-8 (byte 0xe9); re-save the file as UTF-8"
    ]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufefftitle,body\nBOM row,Text\n".encode())
    assert [article.id for article in read_source(path).articles] == ["bom-row"]


def test_oversize_file_is_a_problem_and_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    path.write_bytes(b"# Huge\n" + b"x" * MAX_FILE_BYTES)
    batch = read_source(path)
    assert batch.articles == []
    [problem] = batch.problems
    assert "over the 5,242,880-byte limit" in problem.message


def test_oversize_body_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "long.md"
    path.write_text("# Long\n\n" + "word " * 50)
    [problem] = read_source(path, limits=IngestLimits(max_body_chars=100)).problems
    assert problem.field == "body"
    assert "over the 100 limit" in problem.message


def test_unreadable_source_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    folder = tmp_path / "looks-like.md"
    folder.mkdir()
    [problem] = read_source(folder).problems
    assert problem.message.startswith("cannot be read")


def test_unsupported_file_type_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("text")
    [problem] = read_source(path).problems
    assert problem.message.startswith("unsupported file type '.txt'")


def test_folder_sources_are_recursive_sorted_and_filtered() -> None:
    names = [path.relative_to(FIXTURES).as_posix() for path in iter_sources(FIXTURES)]
    assert names == [
        "export-list.json",
        "export-object.json",
        "export.csv",
        "front-matter.md",
        "nested/latin1-notes.md",
        "nested/sharing_recalc_tips.markdown",
        "page.html",
        "plain-note.md",
    ]


def test_ingesting_a_folder_reads_every_file_and_reports_progress() -> None:
    seen: list[str] = []
    batch = ingest_path(FIXTURES, on_source=lambda path, _batch: seen.append(path.name))
    assert len(seen) == 8
    assert len(batch.articles) == 9
    assert len(batch.problems) == 5
    for article in batch.articles:
        assert SLUG.match(article.id), article.id


def test_empty_folder_is_reported(tmp_path: Path) -> None:
    batch = ingest_path(tmp_path)
    assert batch.articles == []
    [problem] = batch.problems
    assert problem.source == str(tmp_path)
    assert problem.message.startswith("no .csv, .htm, .html")


def test_missing_path_raises_an_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file or folder"):
        ingest_path(tmp_path / "absent")


def test_an_id_repeated_across_files_keeps_the_first(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "reset.md").write_text("# First\n\nText.\n")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "reset.md").write_text("# Second\n\nText.\n")
    batch = ingest_path(tmp_path)
    assert [article.title for article in batch.articles] == ["First"]
    [problem] = batch.problems
    assert (problem.source, problem.field) == (str(tmp_path / "b" / "reset.md"), "id")


def test_an_id_repeated_within_a_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "twice.json"
    path.write_text(json.dumps([{"title": "Same", "body": "A"}, {"title": "Same", "body": "B"}]))
    batch = read_source(path)
    assert [article.body for article in batch.articles] == ["A"]
    assert [(p.line_or_row, p.field) for p in batch.problems] == [(2, "id")]


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Reset a User's Password", "reset-a-user-s-password"),
        ("  UNABLE_TO_LOCK_ROW  ", "unable-to-lock-row"),
        ("Café — menu", "cafe-menu"),
        ("日本", ""),
    ],
)
def test_slugify_makes_ids_parse_article_accepts(text: str, slug: str) -> None:
    assert slugify(text) == slug
    if slug:
        front = f"---\nid: {slug}\ntitle: T\ncategory: other\nstatus: published\n---\nB"
        assert parse_article(front).id == slug


def test_content_hash_ignores_id_version_and_whitespace_noise() -> None:
    article = Article(id="a", title="Title", body="# Title\n\nBody text.", category="other")
    same = replace(article, id="b", version=7, body="# Title\r\n\r\n\r\n\r\nBody text.  \n")
    assert content_hash(same) == content_hash(article)
    assert len(content_hash(article)) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"body": "# Title\n\nOther text."},
        {"title": "Another title"},
        {"category": "governor_limit"},
        {"tags": ("apex",)},
        {"error_ids": ("limit-apex-cpu-time",)},
        {"status": "draft"},
    ],
)
def test_content_hash_changes_with_content_and_metadata(change: dict[str, object]) -> None:
    article = Article(id="a", title="Title", body="# Title\n\nBody text.", category="other")
    assert content_hash(replace(article, **change)) != content_hash(article)  # type: ignore[arg-type]


def test_file_with_nul_bytes_is_reported_not_imported(tmp_path: Path) -> None:
    source = tmp_path / "utf16.md"
    source.write_bytes("# Title\n\nBody".encode("utf-16-le"))
    batch = read_source(source)
    assert batch.articles == []
    assert "NUL byte" in batch.problems[0].message
