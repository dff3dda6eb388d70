"""Use cases: one class each, ports injected, one ``execute(request)``."""
