"""Idempotency keys: a retried POST returns the first result, never a duplicate."""
