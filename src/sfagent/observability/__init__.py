"""Metrics (Prometheus), structured logging, request ids."""
