"""The analyser's regex-free line classifier agrees with the event-line regex on any line."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from sfagent.diagnostics.logs import LogAnalyzer, parse_log_text
from sfagent.diagnostics.logs.events import parse_event_line
from sfagent.diagnostics.logs.reading import ReadStats

# Pieces of real and broken event lines: odd clocks, elapsed times, types and tails.
CLOCKS = ["09:15:02.12", "9:15:02.1", "123:00:00.0", "09:15:02", "09:1:02.5", "٠٩:15:02.1", "x"]
ELAPSED = [" (12)", " (0)", "", " ()", " (12", " (1 2)", " (٣٤)", " (+5)", "(12)", " (12) ", " (²)"]
TYPES = ["METHOD_ENTRY", "USER_DEBUG", "lower", "", "X", "9ABC", "A-B", "ÄB", "FATAL_ERROR"]
TAILS = ["", "|", "|[12]|Foo.bar()", "|a|b|c", " extra|x", "|(default)|"]


def random_line(rng: random.Random) -> str:
    line = rng.choice(CLOCKS) + rng.choice(ELAPSED) + rng.choice(["|", "|", "", " |"])
    line += rng.choice(TYPES) + rng.choice(TAILS)
    if rng.random() < 0.1:
        cut = rng.randrange(len(line) + 1)
        line = line[:cut] + rng.choice(["|", " ", "(", ")", "\r", ""]) + line[cut:]
    return line


@pytest.mark.parametrize("seed", range(5))
def test_counts_and_elapsed_times_match_the_regex(seed: int) -> None:
    rng = random.Random(seed)
    lines = ["59.0 APEX_CODE,FINEST"] + [random_line(rng) for _ in range(4_000)]
    events = [e for n, text in enumerate(lines, 1) if (e := parse_event_line(n, text))]
    elapsed = [event.ns for event in events if event.ns is not None]
    analyzer = LogAnalyzer()
    analyzer.feed(lines[:1_500])
    analyzer.feed(lines[1_500:])
    analysis = analyzer.finish(ReadStats())
    assert analysis.event_counts == dict(sorted(Counter(e.type for e in events).items()))
    assert analysis.timestamped_lines == len(events)
    assert (analysis.first_ns, analysis.last_ns) == (elapsed[0], elapsed[-1])
    assert (analysis.min_ns, analysis.max_ns) == (min(elapsed), max(elapsed))


def test_event_without_elapsed_time_closes_its_frame_at_the_last_one_seen() -> None:
    analysis = parse_log_text(
        "59.0 APEX_CODE,FINEST\n"
        "01:00:00.0 (100)|METHOD_ENTRY|[1]|01p|Invoice.total()\n"
        "01:00:00.0 (250)|STATEMENT_EXECUTE|[2]\n"
        "01:00:00.0|METHOD_EXIT|[1]|01p|Invoice.total()\n"
        "01:00:00.0 (900)|USER_DEBUG|[3]|DEBUG|done\n"
    )
    [method] = analysis.tree.children
    assert (method.start_ns, method.end_ns, method.total_ns) == (100, 250, 150)
    assert analysis.event_counts["METHOD_EXIT"] == 1
    assert (analysis.first_ns, analysis.last_ns) == (100, 900)
