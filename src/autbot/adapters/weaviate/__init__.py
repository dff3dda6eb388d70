"""Weaviate (client v4) as the scale-out store: chunks and the document registry, so replicas keep no state.

- ``connection``: one client per process, connecting lazily, translating errors into port errors.
- ``schema``: names and definitions of the Weaviate collections AutBot creates.
- ``chunks``: ``WeaviateChunkIndex`` (one Weaviate collection per AutBot collection).
- ``registry``: ``WeaviateDocumentRegistry`` (two shared collections).
"""
