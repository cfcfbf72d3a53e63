"""Apex debug log analysis: streaming parser, event tree, limits, exceptions and summary."""

from sfagent.diagnostics.logs.errors import NotADebugLog
from sfagent.diagnostics.logs.evaluation import LogDatasetError, evaluate_log_dataset
from sfagent.diagnostics.logs.facts import manifest_facts
from sfagent.diagnostics.logs.model import (
    ApexException,
    FlowError,
    LimitUsage,
    LogAnalysis,
    LogHeader,
    NodeAggregate,
    SlowestNodes,
    SourceInfo,
    TimedNode,
    TreeNode,
    ValidationFailure,
)
from sfagent.diagnostics.logs.parser import LogAnalyzer, parse_log, parse_log_text
from sfagent.diagnostics.logs.report import analyze_log_bytes, log_report
from sfagent.diagnostics.logs.summary import summarize

__all__ = [
    "ApexException",
    "FlowError",
    "LimitUsage",
    "LogAnalysis",
    "LogAnalyzer",
    "LogDatasetError",
    "LogHeader",
    "NodeAggregate",
    "NotADebugLog",
    "SlowestNodes",
    "SourceInfo",
    "TimedNode",
    "TreeNode",
    "ValidationFailure",
    "analyze_log_bytes",
    "evaluate_log_dataset",
    "log_report",
    "manifest_facts",
    "parse_log",
    "parse_log_text",
    "summarize",
]
