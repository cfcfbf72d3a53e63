"""Conversations and messages: lifecycle, REST API, inactivity sweeper."""
