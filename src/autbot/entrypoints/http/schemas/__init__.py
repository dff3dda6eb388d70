"""msgspec Structs of the HTTP edge, one module per route family, and request bodies decoded within limits."""
