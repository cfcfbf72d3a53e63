"""Salesforce: each tenant's connection, and escalations synced to Cases through the outbox."""
