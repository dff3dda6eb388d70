"""Serving the app under uvicorn: HTTP/1.1 protocols with deadlines, the server configuration, metrics set-up."""
