"""Reading tolerates CRLF, bad bytes, UTF-16, missing final newlines and huge lines."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sfagent.diagnostics.logs import NotADebugLog, parse_log, parse_log_text
from sfagent.diagnostics.logs.naming import MAX_TEXT_CHARS
from sfagent.diagnostics.logs.reading import MAX_LINE_CHARS

FIXTURES = Path(__file__).parent / "fixtures"
FATAL_LOG = FIXTURES / "soql_limit_fatal.log"


def test_crlf_file_gives_the_same_analysis_as_lf(tmp_path: Path) -> None:
    crlf_path = tmp_path / "crlf.log"
    crlf_path.write_bytes(FATAL_LOG.read_bytes().replace(b"\n", b"\r\n"))
    lf, crlf = parse_log(FATAL_LOG), parse_log(crlf_path)
    assert crlf.source.crlf and not lf.source.crlf
    assert crlf.event_counts == lf.event_counts
    assert crlf.fatal_errors == lf.fatal_errors
    assert crlf.limits == lf.limits
    assert crlf.header == lf.header


def test_crlf_lines_from_an_iterable_are_stripped() -> None:
    lines = FATAL_LOG.read_text(encoding="utf-8").replace("\n", "\r\n").splitlines(keepends=True)
    analysis = parse_log(lines)
    assert analysis.source.crlf
    assert analysis.fatal_errors[0].message == "Too many SOQL queries: 101"


def test_file_metadata_is_measured_while_streaming() -> None:
    analysis = parse_log(FATAL_LOG)
    data = FATAL_LOG.read_bytes()
    assert analysis.source.size_bytes == len(data)
    assert analysis.source.sha256 == hashlib.sha256(data).hexdigest()
    assert analysis.source.encoding == "utf-8"
    assert not analysis.source.decoding_replaced


def test_invalid_utf8_is_replaced_and_marked(tmp_path: Path) -> None:
    path = tmp_path / "latin1.log"
    path.write_bytes(
        b"59.0 APEX_CODE,DEBUG\n"
        b"01:00:00.0 (100)|EXECUTION_STARTED\n"
        b"01:00:00.0 (200)|USER_DEBUG|[3]|DEBUG|Caf\xe9 \xff\xfe ok\n"
        b"01:00:00.0 (300)|EXECUTION_FINISHED"
    )
    analysis = parse_log(path)
    assert analysis.source.decoding_replaced
    assert analysis.source.replacement_chars == 3
    assert analysis.event_counts["USER_DEBUG"] == 1
    assert analysis.source.line_count == 4
    assert "replaced" in analysis.summary


def test_utf16_file_with_bom_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "utf16.log"
    path.write_bytes(FATAL_LOG.read_text(encoding="utf-8").encode("utf-16"))
    analysis = parse_log(path)
    assert analysis.source.encoding == "utf-16-le"
    assert analysis.fatal_errors[0].type == "System.LimitException"


def test_five_megabyte_line_is_capped_and_later_events_still_count(tmp_path: Path) -> None:
    path = tmp_path / "huge_line.log"
    huge = "x" * (5 * 1024 * 1024)
    path.write_text(
        "59.0 APEX_CODE,DEBUG\n"
        "01:00:00.0 (100)|EXECUTION_STARTED\n"
        f"01:00:00.0 (200)|EXCEPTION_THROWN|[9]|System.CalloutException: {huge}\n"
        "01:00:00.0 (300)|USER_DEBUG|[10]|DEBUG|after\n"
        "01:00:00.0 (400)|EXECUTION_FINISHED\n",
        encoding="utf-8",
    )
    analysis = parse_log(path)
    assert analysis.source.overlong_lines == 1
    assert analysis.source.line_count == 5
    assert analysis.source.size_bytes == path.stat().st_size
    assert analysis.event_counts == {
        "EXCEPTION_THROWN": 1,
        "EXECUTION_FINISHED": 1,
        "EXECUTION_STARTED": 1,
        "USER_DEBUG": 1,
    }
    [thrown] = analysis.exceptions_thrown
    assert thrown.type == "System.CalloutException"
    assert len(thrown.message) <= MAX_TEXT_CHARS < MAX_LINE_CHARS
    assert analysis.last_ns == 400


def test_five_megabyte_single_line_without_newline_is_not_a_log() -> None:
    with pytest.raises(NotADebugLog, match="The text is not an Apex debug log"):
        parse_log_text("y" * (5 * 1024 * 1024))


def test_missing_final_newline_keeps_last_event() -> None:
    analysis = parse_log_text("59.0 DB,INFO\n01:00:00.0 (5)|EXECUTION_STARTED")
    assert analysis.event_counts == {"EXECUTION_STARTED": 1}
    assert analysis.source.line_count == 2


def test_overlong_line_inside_a_read_chunk_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "long_variable.log"
    events = "".join(f"01:00:00.0 ({n})|STATEMENT_EXECUTE|[{n}]\n" for n in range(100, 1100))
    path.write_text(
        "59.0 APEX_CODE,FINEST\n"
        + events
        + "01:00:00.0 (2000)|VARIABLE_ASSIGNMENT|[7]|payload|"
        + "v" * (MAX_LINE_CHARS + 10)
        + "\n"
        + events,
        encoding="utf-8",
    )
    analysis = parse_log(path)
    assert analysis.source.overlong_lines == 1
    assert analysis.source.line_count == 2002
    assert analysis.event_counts == {"STATEMENT_EXECUTE": 2000, "VARIABLE_ASSIGNMENT": 1}


def test_truncation_marker_deep_in_a_large_file_is_found(tmp_path: Path) -> None:
    filler = "".join(f"01:00:00.0 ({n})|HEAP_ALLOCATE|[12]|Bytes:8\n" for n in range(60_000))
    path = tmp_path / "cut.log"
    path.write_text(
        "59.0 APEX_CODE,FINEST\n" + filler + "*** Skipped 524288 bytes of detailed log\n" + filler,
        encoding="utf-8",
    )
    assert path.stat().st_size > 4 * 1024 * 1024
    assert parse_log(path).truncated_marker


def test_marker_words_without_stars_do_not_mark_a_cut() -> None:
    analysis = parse_log_text(
        "59.0 APEX_CODE,FINEST\n"
        "01:00:00.0 (5)|USER_DEBUG|[3]|DEBUG|MAXIMUM DEBUG LOG SIZE REACHED is a test string\n"
        "01:00:00.0 (9)|USER_DEBUG|[4]|DEBUG|*** not a marker\n"
    )
    assert not analysis.truncated_marker
    lines = ["59.0 APEX_CODE,FINEST", "01:00:00.0 (5)|EXECUTION_STARTED", "*** Skipped 10 bytes"]
    assert parse_log(lines).truncated_marker
