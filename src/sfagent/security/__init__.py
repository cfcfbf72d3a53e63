"""Security: audit log, rate limits (and later PII, crypto, attack detection)."""
