"""Streamed answers: the server-sent events response, answer event framing, draining on shutdown."""
