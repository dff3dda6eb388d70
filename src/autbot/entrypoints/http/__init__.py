"""The HTTP edge: ``app`` assembles the Litestar app; each sub-package is a room (routes, schemas, errors,
middleware, streaming, web)."""
