"""Salesforce error catalog: recognise a pasted error, explain its cause and fix, find the line."""

from sfagent.diagnostics.errors.catalog import (
    ErrorCatalog,
    analyze_error,
    analyze_error_input,
    default_catalog,
    match_error,
)
from sfagent.diagnostics.errors.loading import CatalogError, load_entries
from sfagent.diagnostics.errors.model import (
    CatalogEntry,
    Category,
    ErrorAnalysis,
    ErrorDetails,
    ErrorMatch,
    StackFrame,
)
from sfagent.diagnostics.errors.scan import MAX_SCAN_CHARS
from sfagent.diagnostics.errors.stack import parse_stack_trace

__all__ = [
    "MAX_SCAN_CHARS",
    "CatalogEntry",
    "CatalogError",
    "Category",
    "ErrorAnalysis",
    "ErrorCatalog",
    "ErrorDetails",
    "ErrorMatch",
    "StackFrame",
    "analyze_error",
    "analyze_error_input",
    "default_catalog",
    "load_entries",
    "match_error",
    "parse_stack_trace",
]
