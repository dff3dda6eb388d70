"""Session stores: in memory (tests), SQLite (embedded default), Redis (shared by replicas)."""
