"""Apex debug log analysis: streaming parser, event tree, limits, exceptions and summary."""

from sfagent.diagnostics.logs.facts import manifest_facts
from sfagent.diagnostics.logs.model import (
    ApexException,
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
from sfagent.diagnostics.logs.summary import summarize

__all__ = [
    "ApexException",
    "LimitUsage",
    "LogAnalysis",
    "LogAnalyzer",
    "LogHeader",
    "NodeAggregate",
    "SlowestNodes",
    "SourceInfo",
    "TimedNode",
    "TreeNode",
    "ValidationFailure",
    "manifest_facts",
    "parse_log",
    "parse_log_text",
    "summarize",
]
