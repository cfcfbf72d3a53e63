"""Huge, hostile or oddly encoded input returns, within the documented scan cap."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sfagent.diagnostics.errors import MAX_SCAN_CHARS, analyze_error, match_error, parse_stack_trace

TEN_MB = 10_000_000


def test_a_ten_megabyte_single_line_returns_and_says_it_was_truncated() -> None:
    analysis = analyze_error("x" * TEN_MB)
    assert analysis.matches == ()
    assert analysis.truncated
    assert analysis.scanned_chars == MAX_SCAN_CHARS
    assert analysis.total_chars == TEN_MB


@pytest.mark.parametrize(
    "text",
    [
        "Class." * 2_000_000,
        "Class.a" + ".a" * 3_000_000 + ": line ",
        "Too many " * 1_000_000,
        "[" * 5_000_000 + "first error: " * 100_000,
        '{"error":"invalid_grant",' * 400_000,
        "Unauthorized endpoint" + " " * TEN_MB,
        ("a" * 50 + "\n") * 200_000,
    ],
    ids=["class-prefixes", "dotted-run", "too-many", "brackets", "json", "spaces", "lines"],
)
def test_pathological_repetition_returns(text: str) -> None:
    analysis = analyze_error(text)
    assert analysis.scanned_chars <= MAX_SCAN_CHARS
    assert len(analysis.matches) <= 3


def test_an_error_at_the_end_of_a_huge_paste_is_still_found() -> None:
    text = "13:00:00.0 (1)|STATEMENT_EXECUTE|[1]\n" * 30_000
    text += "13:00:01.0 (2)|FATAL_ERROR|System.LimitException: Apex CPU time limit exceeded\n"
    text += "Class.Heavy.loop: line 88, column 1\n"
    best = analyze_error(text).best
    assert best is not None and best.entry_id == "limit-apex-cpu-time"
    assert best.line == 30_001
    assert best.origin is not None and best.origin.line == 88


def test_many_frames_are_capped() -> None:
    frames = parse_stack_trace("Class.A.b: line 1, column 1\n" * 100_000)
    assert 0 < len(frames) <= 500


def test_repeated_errors_yield_one_match_per_entry() -> None:
    matches = match_error("System.LimitException: Too many SOQL queries: 101\n" * 10_000)
    assert [match.entry_id for match in matches] == ["limit-too-many-soql-queries"]


@pytest.mark.parametrize(
    "noise",
    [
        "\ud800\udfff\udc00",  # lone surrogates from broken decoding
        "😀🔥 ünïcödé العربية 中文 ",
        "\x00\x01\x1b[31m",
        "\ufeff\u200b\u202e",
    ],
    ids=["surrogates", "emoji-scripts", "control", "bom-zero-width-rtl"],
)
def test_odd_unicode_around_an_error_keeps_offsets_right(noise: str) -> None:
    text = noise * 3 + "System.NullPointerException: Attempt to de-reference a null object" + noise
    (best,) = match_error(text)
    assert best.entry_id == "apex-null-pointer"
    start, end = best.span
    assert text[start:end] == best.matched_text == "Attempt to de-reference a null object"


def test_importing_the_catalog_loads_neither_web_nor_database_packages() -> None:
    forbidden = ("fastapi", "starlette", "sqlalchemy", "alembic")
    probe = (
        "import sys, sfagent.diagnostics.errors as e; e.default_catalog(); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {forbidden!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
