"""Answer and retrieval quality checks."""
