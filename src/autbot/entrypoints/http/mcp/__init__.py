"""The Model Context Protocol endpoint (``/mcp``): the same use cases as the REST routes, as MCP tools and resources.

- ``arguments``: the tools' arguments, msgspec Structs built from the REST bodies (same fields, same limits); their
  JSON Schema is the tools' ``inputSchema``.
- ``tools``: ``search``, ``ask``, ``list_collections`` and ``get_document``, each calling the REST route's use case
  with the caller's ``Principal``; errors as tool results carrying the REST problem (``code``, ``status``, ``detail``).
- ``resources``: the collections the caller may use, as ``autbot://collections/{name}`` resources.
- ``parts``: what the server is built from (use cases, rate limiter, metrics, bounds), without the SDK.
- ``endpoint``: one Litestar ASGI route, so the app's guard, authentication, metrics and access log apply to it as
  to any route; it bounds the body, and starts the SDK's side on the first request.
- ``server``: the SDK's side, imported on that first request: its low-level ``Server`` over the tools and
  resources, and the stateless streamable HTTP session manager.
"""
