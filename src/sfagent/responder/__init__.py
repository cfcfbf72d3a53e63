"""Composing replies: deterministic, grounded in what the engines found."""
