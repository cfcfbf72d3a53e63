"""The message pipeline: one Turn flows through the stages in order."""
