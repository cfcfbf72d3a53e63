"""Notifications to people and systems: signed webhooks, Slack incoming webhooks, email."""
