"""``autbot eval``: retrieval quality and latency of the real ingestion and search paths on a BEIR dataset."""
