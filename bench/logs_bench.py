"""Throughput of the Apex debug-log analyser (sfagent.diagnostics.logs), in MB/s.

For each set of logs (by default the shared logs in ../shared/data/apex_logs and the test
fixtures; or the files and folders given on the command line) it measures two ways:

- per file: every log parsed on its own with `parse_log(path)`, the set repeated until a
  round covers at least --round-mb megabytes;
- one stream: the logs concatenated (repeated) into one temporary file of at least
  --stream-mb megabytes, parsed with one `parse_log(path)`, as a huge log would be.

Each measurement runs --rounds times; the best and the median are printed, from wall-clock
time and from this process's CPU time (the CPU figure is steadier on a shared machine).

    .venv/bin/python bench/logs_bench.py [PATH...] [--rounds N] [--stream-mb MB] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sfagent.diagnostics.logs import parse_log

REPO = Path(__file__).resolve().parents[1]
SHARED_LOGS = REPO.parent / "shared" / "data" / "apex_logs"
FIXTURES = REPO / "tests" / "diagnostics" / "logs" / "fixtures"
MEGABYTE = 1_000_000
MAX_STREAM_MB = 4_000

out = Console(width=None if sys.stdout.isatty() else 160)


@dataclass(frozen=True)
class Figure:
    """One measurement: how much was read and how fast, best and median over the rounds."""

    logs: str
    mode: str
    files: int
    megabytes_per_round: float
    rounds: int
    wall_best_mb_s: float
    wall_median_mb_s: float
    cpu_best_mb_s: float
    cpu_median_mb_s: float


def log_files(paths: list[Path]) -> list[Path]:
    """The .log files given, with folders expanded (sorted, so runs are comparable)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.log")))
        elif path.is_file():
            files.append(path)
        else:
            raise SystemExit(f"logs_bench: {path}: no such file or folder")
    return files


def timed_rounds(work: Callable[[], None], rounds: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each round."""
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def figure(
    logs: str, mode: str, files: int, size: int, walls: list[float], cpus: list[float]
) -> Figure:
    """Best and median throughput from the seconds each round took."""
    megabytes = size / MEGABYTE
    return Figure(
        logs=logs,
        mode=mode,
        files=files,
        megabytes_per_round=round(megabytes, 1),
        rounds=len(walls),
        wall_best_mb_s=round(megabytes / min(walls), 1),
        wall_median_mb_s=round(megabytes / statistics.median(walls), 1),
        cpu_best_mb_s=round(megabytes / max(min(cpus), 1e-9), 1),
        cpu_median_mb_s=round(megabytes / max(statistics.median(cpus), 1e-9), 1),
    )


def per_file(logs: str, files: list[Path], round_mb: float, rounds: int) -> Figure:
    """Each file parsed on its own, the set repeated to fill a round."""
    size = sum(path.stat().st_size for path in files)
    repeats = max(1, round(round_mb * MEGABYTE / max(size, 1)))
    batch = files * repeats

    def work() -> None:
        for path in batch:
            parse_log(path)

    parse_log(files[0])  # warm-up: imports and first-call costs stay out of the figures
    walls, cpus = timed_rounds(work, rounds)
    return figure(logs, "per file", len(files), size * repeats, walls, cpus)


def one_stream(logs: str, files: list[Path], stream_mb: float, rounds: int) -> Figure:
    """The files concatenated into one big temporary log, parsed in one streaming pass."""
    data = b"".join(path.read_bytes().rstrip(b"\n") + b"\n" for path in files)
    repeats = max(1, -(-int(stream_mb * MEGABYTE) // len(data)))
    with tempfile.TemporaryDirectory(prefix="sfagent-logs-bench-") as folder:
        stream = Path(folder) / "stream.log"
        with stream.open("wb") as handle:
            for _ in range(repeats):
                handle.write(data)
        walls, cpus = timed_rounds(lambda: _parse_checked(stream, len(data) * repeats), rounds)
    return figure(logs, "one stream", len(files), len(data) * repeats, walls, cpus)


def _parse_checked(path: Path, size: int) -> None:
    analysis = parse_log(path)
    if analysis.source.size_bytes != size:
        raise SystemExit(f"logs_bench: read {analysis.source.size_bytes} bytes of {size}")


def print_table(figures: list[Figure]) -> None:
    """A human-readable table of the figures."""
    table = Table(title="Apex debug-log analyser throughput (MB = 10^6 bytes)")
    for column in ("logs", "mode", "files", "MB/round", "rounds"):
        table.add_column(column)
    for column in ("wall best", "wall median", "CPU best", "CPU median"):
        table.add_column(f"{column} MB/s", justify="right")
    for row in figures:
        table.add_row(
            row.logs,
            row.mode,
            str(row.files),
            f"{row.megabytes_per_round:.1f}",
            str(row.rounds),
            f"{row.wall_best_mb_s:.1f}",
            f"{row.wall_median_mb_s:.1f}",
            f"{row.cpu_best_mb_s:.1f}",
            f"{row.cpu_median_mb_s:.1f}",
        )
    out.print(table)
    out.print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {', '.join(f'{load:.2f}' for load in os.getloadavg())}"
    )


def parse_arguments() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="log files or folders of .log files")
    parser.add_argument("--rounds", type=int, default=5, help="measurements of each kind")
    parser.add_argument("--round-mb", type=float, default=20.0, help="MB per per-file round")
    parser.add_argument("--stream-mb", type=float, default=100.0, help="size of the one stream")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    if not 1 <= arguments.rounds <= 100 or not 0 < arguments.stream_mb <= MAX_STREAM_MB:
        parser.error(f"--rounds must be 1..100 and --stream-mb 0..{MAX_STREAM_MB}")
    return arguments


def main() -> None:
    """Measure every set of logs and print the figures."""
    arguments = parse_arguments()
    if arguments.paths:
        sets = {"given": log_files(arguments.paths)}
    else:
        sets = {"fixtures": log_files([FIXTURES])}
        if SHARED_LOGS.is_dir():
            sets = {"shared": log_files([SHARED_LOGS]), **sets}
    figures: list[Figure] = []
    for name, files in sets.items():
        if not files:
            raise SystemExit(f"logs_bench: no .log files in the {name} set")
        figures.append(one_stream(name, files, arguments.stream_mb, arguments.rounds))
        figures.append(per_file(name, files, arguments.round_mb, arguments.rounds))
    if arguments.json:
        print(json.dumps([asdict(row) for row in figures]))
    else:
        print_table(figures)


if __name__ == "__main__":
    main()
