"""The Model Context Protocol endpoint (``/mcp``): the same use cases as the REST routes, as MCP tools and resources.

- ``arguments``: the tools' arguments, msgspec Structs built from the REST bodies (same fields, same limits); their
  JSON Schema is the tools' ``inputSchema``.
- ``tools``: ``search``, ``ask``, ``list_collections`` and ``get_document``, each calling the REST route's use case
  with the caller's ``Principal``; errors as tool results carrying the REST problem (``code``, ``status``, ``detail``).
- ``resources``: the collections the caller may use, as ``autbot://collections/{name}`` resources.
- ``endpoint``: the SDK's low-level server and its stateless streamable HTTP session manager behind one Litestar
  ASGI route, so the app's guard, authentication, rate limits, metrics and access log apply to it as to any route.
"""
