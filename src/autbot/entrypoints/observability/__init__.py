"""Logs, metrics and traces: one log stream, Prometheus and OpenTelemetry, the outermost ASGI layer."""
