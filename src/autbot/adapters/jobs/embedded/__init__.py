"""The embedded job machinery, files in the data directory: persist-queue's ``SQLiteAckQueue`` for messages,
SQLite for job records, fsync'd files for inputs. Single host; survives ``kill -9``."""
