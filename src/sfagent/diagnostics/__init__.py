"""Diagnostics engines: analyse what users paste (debug logs, stack traces, code)."""
