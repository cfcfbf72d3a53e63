"""Cross-process coordination: rate-limit counters, pub/sub, liveness (memory or Redis)."""
