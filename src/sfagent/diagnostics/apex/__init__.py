"""Apex analysis on tree-sitter: syntax errors, PMD-compatible rules, governor-limit risk."""
