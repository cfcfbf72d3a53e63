"""GDPR/CCPA: export and erase an end user's data, run the retention purge on demand."""
