"""`sfagent analyze ...` and `sfagent eval ...`: the diagnostics engines from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import Progress
from rich.syntax import Syntax
from rich.table import Table

from sfagent.diagnostics.apex.analyzer import ApexAnalysis, analyze_apex
from sfagent.diagnostics.apex.evaluation import DatasetError, evaluate_pmd_cases, read_pmd_cases
from sfagent.diagnostics.apex.rules import InvalidRuleProperty, UnknownRule
from sfagent.diagnostics.errors import ErrorAnalysis, analyze_error_input
from sfagent.diagnostics.findings import Finding, Severity
from sfagent.diagnostics.inputs import InputRejected
from sfagent.diagnostics.logs import (
    LogAnalysis,
    LogDatasetError,
    analyze_log_bytes,
    evaluate_log_dataset,
    log_report,
    parse_log,
)
from sfagent.diagnostics.soql import DatasetError as SoqlDatasetError
from sfagent.diagnostics.soql import SoqlAnalysis, analyze_soql_input, evaluate_soql_dataset

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

analyze_app = typer.Typer(
    help="Analyse Apex, SOQL, debug logs or error text.", no_args_is_help=True
)
eval_app = typer.Typer(
    help="Measure the diagnostics engines on labelled data.", no_args_is_help=True
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
InputArgument = Annotated[str, typer.Argument(help="A file path, or - to read standard input.")]
ENGINE_ERRORS = (
    InputRejected,
    UnknownRule,
    InvalidRuleProperty,
    DatasetError,
    SoqlDatasetError,
    LogDatasetError,
    OSError,
)
MAX_CLI_INPUT_BYTES = 64 * 1024 * 1024
_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def fail(message: str) -> NoReturn:
    """One clear line on stderr and exit status 1, never a traceback."""
    err_console.print(f"[red]error:[/] {message}", highlight=False)
    raise typer.Exit(1)


def read_input(path: str) -> bytes:
    """Bytes of a file, or of standard input for `-`."""
    if path == "-":
        return sys.stdin.buffer.read()
    file = Path(path)
    if not file.is_file():
        fail(f"{path}: no such file")
    return file.read_bytes()


def parse_properties(values: list[str]) -> dict[str, dict[str, str]]:
    """`Rule.property=value` options into {"Rule": {"property": "value"}}."""
    properties: dict[str, dict[str, str]] = {}
    for value in values:
        key, separator, setting = value.partition("=")
        rule, dot, name = key.partition(".")
        if not separator or not dot or not rule or not name:
            fail(f"--property {value!r}: write it as Rule.property=value")
        properties.setdefault(rule, {})[name] = setting
    return properties


@analyze_app.command("apex")
def analyze_apex_command(
    path: InputArgument,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Run only this rule (repeatable).")
    ] = None,
    prop: Annotated[
        list[str] | None,
        typer.Option(
            "--property", help="Rule property, e.g. EmptyCatchBlock.allowCommentedBlocks=true."
        ),
    ] = None,
    fail_on: Annotated[
        Severity | None,
        typer.Option("--fail-on", help="Exit 2 when a finding is at least this severe."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Syntax errors, PMD-compatible findings with fixes, and governor-limit risk of Apex code."""
    try:
        analysis = analyze_apex(
            read_input(path), rules=rule, properties=parse_properties(prop or [])
        )
    except ENGINE_ERRORS as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(analysis.to_dict()))
    else:
        print_apex_analysis(analysis)
    if fail_on is not None and any(f.severity.rank <= fail_on.rank for f in analysis.findings):
        raise typer.Exit(2)


def print_apex_analysis(analysis: ApexAnalysis) -> None:
    """Rich rendering: syntax errors, a findings table, then each finding's why and fix."""
    for problem in analysis.syntax_errors:
        console.print(
            f"[red]syntax error[/] line {problem.span.line}, column {problem.span.column}: "
            f"{problem.message}",
            highlight=False,
        )
    for note in analysis.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    if not analysis.findings:
        console.print(
            f"No findings in {analysis.line_count} lines ({len(analysis.rules_run)} rules)."
        )
        return
    table = Table("line", "severity", "rule", "finding")
    for finding in analysis.findings:
        style = _SEVERITY_STYLE[finding.severity]
        table.add_row(
            str(finding.span.line), f"[{style}]{finding.severity}[/]", finding.rule, finding.message
        )
    console.print(table)
    for finding in analysis.findings:
        print_finding_detail(finding)


def print_finding_detail(finding: Finding, *, headline: str | None = None) -> None:
    """Why a finding matters, how to fix it, and the rewritten code when there is one."""
    body = f"[bold]Why:[/] {finding.why}\n[bold]Fix:[/] {finding.fix}"
    if headline:
        body = f"{headline}\n{body}"
    if finding.limit:
        body += f"\n[bold]Limit:[/] {finding.limit}"
    title = f"line {finding.span.line} · {finding.rule}"
    console.print(Panel(body, title=title, title_align="left", expand=False), highlight=False)
    if finding.example:
        console.print(Syntax(finding.example, "java", line_numbers=False))


@analyze_app.command("soql")
def analyze_soql_command(
    path: InputArgument,
    as_json: JsonFlag = False,
) -> None:
    """Syntax errors with position and suggestion, then selectivity advice for a SOQL query."""
    try:
        analysis = analyze_soql_input(read_input(path), max_bytes=MAX_CLI_INPUT_BYTES)
    except ENGINE_ERRORS as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(analysis.to_dict()))
        return
    print_soql_analysis(analysis)


def print_soql_analysis(analysis: SoqlAnalysis) -> None:
    """Rich rendering of a SOQL analysis."""
    for error in analysis.errors:
        console.print(
            f"[red]syntax error[/] line {error.line}, column {error.column}: {error.message}",
            highlight=False,
        )
        if error.suggestion:
            console.print(f"  [bold]suggestion:[/] {error.suggestion}", highlight=False)
    advice = [finding for finding in analysis.findings if finding.rule != "SoqlSyntax"]
    if analysis.valid and not advice:
        console.print("The query parses and no selectivity or limit problem was found.")
    for finding in advice:
        print_finding_detail(finding, headline=finding.message)


@analyze_app.command("error")
def analyze_error_command(
    path: InputArgument,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10, help="Matches to show.")] = 3,
    as_json: JsonFlag = False,
) -> None:
    """Recognise a Salesforce error, stack trace, API response or deploy output."""
    try:
        analysis = analyze_error_input(read_input(path), max_bytes=MAX_CLI_INPUT_BYTES, limit=limit)
    except ENGINE_ERRORS as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(analysis.to_dict()))
        return
    print_error_analysis(analysis)


def print_error_analysis(analysis: ErrorAnalysis) -> None:
    """Rich rendering: each recognised error with cause, fix steps, limit, frame and docs."""
    if analysis.truncated:
        console.print(
            f"[yellow]note:[/] scanned {analysis.scanned_chars:,} of "
            f"{analysis.total_chars:,} characters (start and end of the text).",
            highlight=False,
        )
    if not analysis.matches:
        console.print("No known Salesforce error was recognised in this text.")
        return
    for match in analysis.matches:
        entry = match.entry
        steps = "\n".join(f"{number}. {step}" for number, step in enumerate(entry.fix, start=1))
        body = f"[bold]Cause:[/] {entry.cause}\n[bold]Fix:[/]\n{steps}"
        if entry.limit:
            body += f"\n[bold]Limit:[/] {entry.limit}"
        if match.origin is not None:
            body += f"\n[bold]Where:[/] {match.origin.text.strip()}"
        body += f"\n[bold]Docs:[/] {entry.doc_url}"
        title = f"{entry.title} · line {match.line} · {entry.id}"
        console.print(Panel(body, title=title, title_align="left"), highlight=False)


@analyze_app.command("log")
def analyze_log_command(
    path: InputArgument,
    as_json: JsonFlag = False,
) -> None:
    """Exceptions, limits near their maximum, slowest units and a summary of a debug log."""
    try:
        if path == "-":
            analysis = analyze_log_bytes(read_input(path), max_bytes=MAX_CLI_INPUT_BYTES)
        else:
            if not Path(path).is_file():
                fail(f"{path}: no such file")
            analysis = parse_log(path)
    except ENGINE_ERRORS as exc:
        fail(str(exc))
    report = log_report(analysis)
    if as_json:
        print(json.dumps(report))
        return
    print_log_report(analysis, report)


def print_log_report(analysis: LogAnalysis, report: dict[str, Any]) -> None:
    """Rich rendering of the log digest."""
    console.print(Panel(report["summary"], title="summary", title_align="left"), highlight=False)
    counts = report["counts"]
    console.print(
        f"{counts['soql_queries']} SOQL queries ({counts['soql_rows']} rows), "
        f"{counts['dml_statements']} DML statements ({counts['dml_rows']} rows), "
        f"{counts['lines']:,} lines, {report['duration_ms'] or 0:,.0f} ms.",
        highlight=False,
    )
    if analysis.exceptions:
        table = Table("log line", "kind", "exception", "message")
        for error in analysis.exceptions[:10]:
            table.add_row(str(error.log_line), error.kind, error.type, error.message[:120])
        console.print(table)
    if report["near_limits"]:
        table = Table("namespace", "limit", "used", "maximum")
        for usage in report["near_limits"]:
            table.add_row(
                usage["namespace"], usage["label"], str(usage["used"]), str(usage["limit"])
            )
        console.print(table)
    for kind, slowest in report["slowest"].items():
        for node in slowest["by_total"][:3]:
            console.print(
                f"slowest {kind}: {node['name'][:100]} · {node['total_ms']} ms total, "
                f"{node['self_ms']} ms self (log line {node['log_line']})",
                highlight=False,
            )


@eval_app.command("logs")
def eval_logs_command(
    path: Annotated[Path, typer.Argument(help="A folder of logs with manifest.json.")],
    as_json: JsonFlag = False,
) -> None:
    """How many facts listed in manifest.json the analyser reproduces exactly."""
    try:
        summary = evaluate_log_dataset(path)
    except ENGINE_ERRORS as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(summary))
        return
    table = Table("file", "facts", "matched")
    for row in summary["per_file"]:
        table.add_row(row["file"], str(row["facts"]), str(row["facts_matched"]))
    console.print(table)
    console.print(
        f"{summary['facts_matched']} of {summary['facts']} facts reproduced exactly "
        f"across {summary['files']} logs.",
        highlight=False,
    )
    for row in summary["per_file"]:
        for mismatch in row["mismatches"]:
            console.print(
                f"  {row['file']}: {mismatch['fact']} expected {mismatch['expected']!r}, "
                f"got {mismatch['actual']!r}",
                highlight=False,
            )


@eval_app.command("soql")
def eval_soql_command(
    path: Annotated[Path, typer.Argument(help="SOQL queries as JSONL, e.g. soql_dev.jsonl.")],
    as_json: JsonFlag = False,
) -> None:
    """Share of valid queries that parse and of invalid ones that are rejected."""
    try:
        summary = evaluate_soql_dataset(path)
    except ENGINE_ERRORS as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(summary))
        return
    console.print(
        f"{summary['parsed']} of the valid queries parse: parse rate {summary['parse_rate']:.1%}; "
        f"{summary['invalid_rejected']} of {summary['invalid_cases']} invalid queries rejected "
        f"({summary['cases']} cases).",
        highlight=False,
    )
    for failure in summary["failures"]:
        console.print(f"  not parsed {failure['id']}: {failure['error']}", highlight=False)


@eval_app.command("pmd")
def eval_pmd_command(
    path: Annotated[Path, typer.Argument(help="PMD test cases as JSONL, e.g. pmd_apex_dev.jsonl.")],
    as_json: JsonFlag = False,
) -> None:
    """Agreement of sfagent's Apex rules with PMD's expected problems on PMD's test cases."""
    try:
        cases = read_pmd_cases(path)
    except ENGINE_ERRORS as exc:
        fail(str(exc))
    with Progress(console=err_console, transient=True, disable=as_json) as progress:
        task = progress.add_task("running PMD cases", total=len(cases))
        summary = evaluate_pmd_cases(cases, on_case=lambda: progress.advance(task))
    if as_json:
        print(json.dumps(summary))
        return
    print_pmd_summary(summary)


def print_pmd_summary(summary: dict[str, Any]) -> None:
    """Per-rule table and the overall agreement over implemented rules."""
    table = Table("rule", "cases", "agreed", "agreement")
    for rule, stats in summary["per_rule"].items():
        if stats["implemented"]:
            table.add_row(
                rule, str(stats["cases"]), str(stats["agreed"]), f"{stats['agreement']:.1%}"
            )
    console.print(table)
    skipped = [rule for rule, stats in summary["per_rule"].items() if not stats["implemented"]]
    console.print(
        f"{summary['implemented_rules']} rules implemented; agreement "
        f"{summary['agreed']}/{summary['implemented_cases']} = {summary['agreement']:.1%} "
        f"of their cases ({summary['cases']} cases in the file; "
        f"{len(skipped)} rules not implemented).",
        highlight=False,
    )
    for failure in summary["failures"]:
        console.print(
            f"  disagree {failure['id']}: expected {failure['expected_problems']} "
            f"{failure['expected_lines'] or ''} got lines {failure['reported_lines']}",
            highlight=False,
        )
