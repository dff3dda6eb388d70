"""One-off design studies, kept for the record: the measurement behind a choice made once."""
