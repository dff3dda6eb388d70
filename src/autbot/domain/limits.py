"""Request defaults and limits: the one source that HTTP schemas, the CLI, settings and use cases read.

Operator-tunable limits (document size, prompt budget, ...) have their default here too; settings
override them, and use cases receive the effective values through their ``*Limits`` objects.
"""

from __future__ import annotations

# --- search and answers ---------------------------------------------------------------------------
DEFAULT_SEARCH_TOP_K = 5
"""Chunks returned by ``/search`` when the request does not say."""
DEFAULT_ANSWER_TOP_K = 4
"""Chunks retrieved for ``/query`` when the request does not say (``llm.default_top_k``)."""
MAX_TOP_K = 100
MAX_QUERY_CHARS = 4_096
"""Longest search query or question."""
DEFAULT_HYBRID_ALPHA = 0.5
"""Weight of the vector side in hybrid search (``search.hybrid_alpha``)."""
MAX_FILTER_VALUES = 100
"""Values in one list filter (``{"year": [2023, 2024]}``)."""

# --- documents --------------------------------------------------------------------------------------
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_TITLE_CHARS = 512
MAX_SOURCE_CHARS = 1_024
MAX_METADATA_KEYS = 64
MAX_METADATA_STRING_CHARS = 2_048
MAX_DOCUMENT_CHARS = 5_000_000
"""``ingest.max_document_chars``."""
MAX_DOCUMENTS_PER_REQUEST = 1_000
"""``ingest.max_documents_per_request``."""
EMBED_BATCH_SIZE = 64
"""``ingest.embed_batch_size``: chunks embedded per call during ingestion."""

# --- generation -------------------------------------------------------------------------------------
MAX_PROMPT_TOKENS = 1_536
"""``llm.max_prompt_tokens``: context given to the model is trimmed to fit, by score."""
MAX_OUTPUT_TOKENS = 512
"""``llm.max_output_tokens``: the most a request's ``max_tokens`` may ask for."""
DEFAULT_OUTPUT_TOKENS = 160
"""``llm.default_output_tokens``."""
LLM_TIMEOUT_S = 120.0
"""``llm.timeout_s``."""
MIN_VECTOR_SCORE = 0.2
"""``llm.min_vector_score``: vector-mode chunks less similar than this are not given to the model."""
MAX_TEMPERATURE = 2.0
