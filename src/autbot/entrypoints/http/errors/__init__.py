"""Errors at the HTTP edge: the problem+json table, the OpenAI error envelope, the responses OpenAPI documents."""
