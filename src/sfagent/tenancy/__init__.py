"""Organizations, users, API keys, tokens and the Tenant context."""
