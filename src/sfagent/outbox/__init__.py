"""Durable jobs: enqueued in the caller's transaction, claimed and run by workers."""
