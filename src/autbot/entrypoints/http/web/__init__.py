"""The web page at ``/`` and the offline OpenAPI pages; their files are in ``static/``."""
