"""AutBot: a production-grade retrieval-augmented generation server."""

__version__ = "0.1.0"
