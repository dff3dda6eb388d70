"""ASGI middleware: security headers, the request guard, authentication, rate limits."""
