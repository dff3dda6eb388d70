"""Request defaults and limits: the one source that HTTP schemas, the CLI, settings and use cases read.

Operator-tunable limits (document size, prompt budget, ...) have their default here too; settings
override them, and use cases receive the effective values through their ``*Limits`` objects.
"""

from __future__ import annotations

from typing import Final

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
DEFAULT_FUSION: Final = "relative_score"
"""How hybrid search merges its two rankings (``search.fusion``): ``relative_score`` or ``reciprocal_rank``."""
DEFAULT_ANSWER_MODE: Final = "hybrid"
"""How ``/query``, sessions and ``/v1/chat/completions`` over a collection retrieve when the request does not
say: vector and BM25 fused, both sides held to ``llm.min_vector_score`` (docs/benchmarks.md, sections 8 and 10)."""
DEFAULT_SEARCH_MODE: Final = "vector"
"""How ``/search`` (and ``autbot search``, ``autbot eval``) search when the request does not say: its scores are
then cosine similarities, which clients may threshold; fused scores are relative to each query's best hit."""
RERANK_CANDIDATES = 50
"""Hits a reranker re-orders when a search asks for reranking (the best ``top_k`` of them are kept)."""
RRF_K = 60
"""Reciprocal-rank fusion's rank offset (the usual 60): a hit at rank r adds weight / (RRF_K + r)."""
MAX_FILTER_VALUES = 100
"""Values in one list filter (``{"year": [2023, 2024]}``)."""
MAX_FILTER_KEYS = 32
"""Metadata keys in one request's ``filters``: each becomes a clause of the store's query (a few thousand
crashed the embedded store's native code)."""

# --- golden sets and evaluations ------------------------------------------------------------------
MAX_GOLDEN_QUERIES = 500
"""Queries in one collection's golden set. An evaluation runs one search per query and charges each to the caller's
``limits.search``, so a whole golden set fits the default window (``RATE_SEARCH``)."""
MAX_GOLDEN_JUDGEMENTS = 100_000
"""Relevance judgements (query, document, grade) in one golden set, all queries together."""
MAX_RELEVANCE_GRADE = 100
"""Grades are whole numbers from 0 (judged not relevant) to this; only grades above 0 count as relevant."""
MAX_STORED_EVALUATIONS = 100
"""Evaluations kept per collection; recording one more drops the oldest."""
EVALUATION_TOP_K = MAX_TOP_K
"""Chunks an evaluation asks per golden query: their distinct documents are the ranking scored."""

# --- documents --------------------------------------------------------------------------------------
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_TITLE_CHARS = 512
MAX_SOURCE_CHARS = 1_024
MAX_METADATA_KEYS = 64
MAX_METADATA_STRING_CHARS = 2_048
"""Longest metadata string value (and string filter value)."""
MAX_METADATA_BYTES = 16_384
"""A document's metadata serialised as JSON (UTF-8), all keys and values together."""
MIN_INTEGER = -(2**63)
MAX_INTEGER = 2**63 - 1
"""Integers in metadata and filters fit a signed 64-bit integer, as every store keeps them."""
MAX_PAGE_OFFSET = 1_000_000
"""Largest ``offset`` when listing documents."""
MAX_DOCUMENT_CHARS = 5_000_000
"""``ingest.max_document_chars``."""
MAX_DOCUMENTS_PER_REQUEST = 1_000
"""``ingest.max_documents_per_request``."""
EMBED_BATCH_SIZE = 64
"""``ingest.embed_batch_size``: chunks embedded per call during ingestion."""
EMBED_MICRO_BATCH_MS = 2.0
"""``embedder.micro_batch_ms``: under concurrent searches, how long a query-embedding batch waits for more."""
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
"""``embedder.default_model``: the model of a new collection whose first ingestion names none."""
EMBEDDING_MODELS_DIR = "~/.cache/autbot/models"
"""``embedder.models_dir``: where ``autbot models pull`` caches models."""
EMBEDDING_MODELS_REPOSITORY = "https://repo1.maven.org/maven2"
"""``embedder.models_repository``: the Maven repository models are pulled from."""
MAX_MODEL_NAME_CHARS = 100
"""The ``embedder`` a request names (a catalogue name or model id)."""

# --- the shape of what clients send, and parsing budgets -------------------------------------------
MAX_JSON_DEPTH = 32
"""Levels of nesting of any JSON a client sends: a request body, a ``metadata`` form part, an uploaded
``.json`` file (``[[1]]`` is 2 levels)."""
MAX_FILE_BYTES = 20 * 1024 * 1024
"""``ingest.max_file_bytes``: largest uploaded file."""
MAX_PDF_PAGES = 2_000
"""``ingest.max_pdf_pages``: pages of one uploaded PDF."""
MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024
"""``ingest.max_decompressed_bytes``: bytes one uploaded file may inflate to while it is parsed (a PDF's
compressed streams)."""
MAX_PARSE_SECONDS = 30.0
"""``ingest.max_parse_seconds``: time to extract the text of one uploaded file, whatever its format (its worker
process is then killed)."""
MAX_PARSE_MEMORY_BYTES = 1024 * 1024 * 1024
"""``ingest.max_parse_memory_bytes``: memory the worker process parsing one uploaded file may allocate (an HTML
tree takes many times the bytes of its markup)."""
PARSE_WORKERS = 2
"""``ingest.parse_workers``: uploaded files parsed at once, each in its own worker process."""

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
"""``llm.min_vector_score``: the answer path's relevance floor: in vector and hybrid modes, chunks less similar to
the question than this (cosine) are not given to the model (``ChunkQuery.min_vector_score``)."""
MAX_TEMPERATURE = 2.0
MAX_STOP_SEQUENCES = 4
"""``stop`` strings in one request."""

# --- request rates, token budgets, load -------------------------------------------------------------
RATE_QUERY = "60/minute"
"""``limits.query``: answers per caller (API key, else client IP), in the ``limits`` library's notation."""
RATE_SEARCH = "600/minute"
"""``limits.search``: searches per caller."""
INGEST_COST_CHARS = 10_000
"""What one unit of ``limits.ingest`` is: 10,000 characters of document text (JSON documents), or 10,000 bytes
of uploaded files; a request costs at least one unit."""
RATE_INGEST = "25000/hour"
"""``limits.ingest``: ingestion per caller, in units of ``INGEST_COST_CHARS`` (250 million characters an hour):
it admits the largest request the server accepts (``server.max_request_bytes``)."""
RATE_EMBEDDINGS = "600/minute"
"""``limits.embeddings``: texts embedded by ``/v1/embeddings`` per caller (each input is one text: the embedder
reads at most its window of each, about one chunk), so a request of 256 inputs costs 256."""
RATE_SESSIONS = "60/hour"
"""``limits.sessions``: sessions created (``POST /v1/sessions``) per caller."""
MAX_SESSIONS_PER_KEY = 500
"""``sessions.max_per_key``: live sessions one caller (API key, or the open server's anonymous caller) may keep;
past it, ``POST /v1/sessions`` answers 429 ``too_many_sessions`` until one is deleted or expires."""
RATE_AUTH_FAILURES = "30/minute"
"""``limits.auth_failures``: requests with a wrong, revoked or expired API key per client IP; past it, requests
from that address get 429 without a key-store lookup until the window frees one, unless their key authenticated
in this process before (a flood of guessed keys costs neither the store nor the keys' owners)."""
DAILY_TOKENS_PER_KEY = 0
"""``limits.daily_tokens_per_key``: prompt + completion tokens per caller per UTC day; 0 = unlimited."""
REDIS_RECHECK_S = 1.0
"""``limits.redis_recheck_s``: after a Redis failure, the fallback answers this long before Redis is tried again."""
MAX_CONCURRENT_GENERATIONS = 4
"""``llm.max_concurrent``: generations running at once in one process."""
MAX_QUEUED_GENERATIONS = 8
"""``llm.max_queue``: generations waiting for a slot in one process; beyond that, 503 ``server_busy``."""
BUSY_RETRY_AFTER_S = 2.0
"""``Retry-After`` of a ``server_busy`` answer."""

# --- conversations (the OpenAI-compatible API) and sessions -----------------------------------------
MAX_CHAT_MESSAGES = 64
"""Messages in one chat request (system, user and assistant turns together)."""
MAX_CHAT_CHARS = 64_000
"""Characters of every message of one chat request together."""
MAX_INSTRUCTIONS_CHARS = 4_000
"""Characters of the client's own system messages together (they follow AutBot's rules in the prompt)."""
CONDENSE_HISTORY_MESSAGES = 6
"""The latest turns of the history shown to the model when it rewrites a follow-up as a standalone question."""
CONDENSE_TURN_CHARS = 400
"""Each history turn is cut to this many characters in the condensing prompt."""
CONDENSE_MAX_TOKENS = 48
"""Tokens the model may write for the standalone question."""
CHAT_ALIASES = ("chat",)
"""``openai_api.chat_aliases``: model names that relay to the configured model without retrieval."""
EMBEDDING_ALIAS = "embedding"
"""``openai_api.embedding_alias``: a model name for the configured embedder, besides its own id."""
MAX_EMBED_INPUTS = 256
"""Texts in one ``/v1/embeddings`` request."""
MAX_EMBED_INPUT_CHARS = 32_000
"""Characters of one text to embed."""
MAX_EMBED_TOTAL_CHARS = 1_000_000
"""Characters of every text of one ``/v1/embeddings`` request together."""
SESSION_TTL_S = 30 * 24 * 3600.0
"""``sessions.ttl_s``: a session unused this long is gone."""
SESSION_MAX_MESSAGES = 200
"""``sessions.max_messages``: messages kept per session (questions and answers); older ones are dropped."""
MAX_SESSION_TITLE_CHARS = 200
SESSIONS_LISTED = 50
"""Sessions listed by ``GET /v1/sessions`` when the request does not say (at most ``MAX_PAGE_SIZE``)."""

# --- the HTTP server: what one connection may cost before a request is answered --------------------
HEADER_TIMEOUT_S = 10.0
"""``server.header_timeout_s``: a request line and headers complete within this time (else the connection is closed)."""
BODY_TIMEOUT_S = 30.0
"""``server.body_timeout_s``: a request body arrives whole within this time of its headers (else 408 and closed)."""
SEND_TIMEOUT_S = 30.0
"""``server.send_timeout_s``: a response the client stops reading: when nothing more can be written for this long,
the connection is dropped."""
MAX_REQUEST_HEAD_BYTES = 16 * 1024
"""``server.max_head_bytes``: the request line and header fields of one request together (h11's own default);
a longer head gets 431 ``request_head_too_large`` and the connection is closed."""

# --- operations: circuit breakers, bulkheads, correlation ---------------------------------------------
BREAKER_FAILURES = 5
"""``resilience.breaker_failures``: consecutive failures of a dependency that open its circuit."""
BREAKER_COOLDOWN_S = 15.0
"""``resilience.breaker_cooldown_s``: an open circuit lets one trial call through after this long."""
INDEX_MAX_CONCURRENT = 16
"""``resilience.index_max_concurrent``: vector-store calls at once per process."""
INDEX_QUEUE_TIMEOUT_S = 2.0
"""``resilience.index_queue_timeout_s``: wait for a vector-store slot before 503 ``server_busy``."""
CREDENTIALS_RECHECK_S = 5.0
"""How often a client whose credentials are checked per request (Weaviate's API key) reads its secret again;
a refused call reads it at once. Redis connections read their password whenever they connect."""
MAX_REQUEST_ID_CHARS = 128
"""An ``X-Request-ID`` longer than this (or with other characters than ``[A-Za-z0-9._-]``) is replaced."""

AUDIT_RETENTION_DAYS = 90
"""Days an audit record is kept (``audit.retention_days``); older ones are pruned on start and as records are
appended."""
AUDIT_PRUNE_EVERY_S = 3600.0
"""At most this often, an append also prunes records older than the retention (besides at start-up)."""

# --- document access lists ------------------------------------------------------------------------
MAX_ACCESS_ENTRIES = 32
"""Most groups, and most subjects, in one document's access list or one key's groups."""
MAX_ACCESS_NAME_CHARS = 256
"""Longest group or subject name in an access list."""

# --- ingestion jobs ------------------------------------------------------------------------------------
EMBEDDER_QUERY_THREADS = 1
"""``embedder.query_threads``: intra-op threads of the ONNX sessions that embed queries (0: share the passages')."""
JOB_BATCH_SIZE = 64
"""``jobs.batch_size``: documents (or files) a job's worker ingests and commits at a time; a job waits for at most
one batch of each other running job (its batches take turns in the queue). Each batch costs about 0.16 s of
commits and hand-over beside its embedding: the NFCorpus job reached 0.87 of the raw embedder's speed at 16, 0.91
at 32 and 0.95 at 64 (docs/benchmarks.md)."""
JOB_BATCH_BYTES = 8 * 1024 * 1024
"""``jobs.batch_bytes``: a batch also closes before its inputs (text and title characters, or file bytes) pass
this, so a batch of large files holds bounded memory; a larger single file is a batch of its own."""
MAX_JOB_DOCUMENTS = 100_000
"""``jobs.max_documents``: documents (or files) in one job."""
MAX_QUEUED_JOBS_PER_KEY = 20
"""``jobs.max_queued_jobs_per_key``: unfinished jobs one caller may have; past it, 429 ``job_limit_reached``."""
MAX_QUEUED_DOCUMENTS_PER_KEY = 200_000
"""``jobs.max_queued_documents_per_key``: documents of one caller's unfinished jobs, all together."""
JOB_ATTEMPTS = 5
"""``jobs.attempts``: tries of one batch whose dependencies fail (store, embedder unavailable) before the job
ends ``failed``."""
JOB_RETRY_BASE_S = 0.5
"""``jobs.retry_base_s``: the first retry's wait; each further one doubles it."""
JOB_RETRY_MAX_S = 30.0
"""Longest wait between two tries of a batch."""
JOB_WORKERS = 1
"""``jobs.workers``: worker threads of the embedded server (each takes one batch at a time)."""
JOB_WORKER_NICE = 10
"""``jobs.nice``: how much lower a worker thread's CPU priority is than the server's (Linux ``nice`` steps)."""
JOB_EMBEDDER_THREADS = 1
"""``jobs.embedder_threads``: threads of the job workers' own ONNX session (0: share the server's embedder)."""
JOBS_LISTED = 50
"""Jobs listed by ``GET /v1/jobs`` when the request does not say (at most ``MAX_PAGE_SIZE``)."""
JOB_FAILURES_LISTED = 100
"""Per-document failures shown with a job when the request does not say (at most ``MAX_PAGE_SIZE``)."""
JOB_EVENTS_POLL_S = 0.5
"""How often ``GET /v1/jobs/{id}/events`` looks at the job for progress to send."""
JOB_RETENTION_S = 7 * 24 * 3600
"""``jobs.retention_s``: how long an ended job's record and failures are kept after it ended (0: for ever)."""
JOB_SWEEP_INTERVAL_S = 300.0
"""How often the server and each worker look for ended jobs past ``jobs.retention_s`` to delete."""
JOB_SWEEP_LIMIT = 500
"""Ended jobs one sweep deletes at most (the rest wait for the next sweep)."""

# --- single sign-on (OIDC bearer tokens) ----------------------------------------------------------------
OIDC_CLOCK_SKEW_S = 30
"""``auth.oidc.clock_skew_s``: seconds a token's ``exp`` and ``nbf`` may be off by (the two clocks disagree)."""
OIDC_MAX_CLOCK_SKEW_S = 300
"""The largest ``auth.oidc.clock_skew_s`` accepted."""
OIDC_MAX_TOKEN_BYTES = 16 * 1024
"""``auth.oidc.max_token_bytes``: a longer bearer token is refused (401) before it is decoded."""
OIDC_MAX_DOCUMENT_BYTES = 512 * 1024
"""``auth.oidc.max_document_bytes``: the largest discovery document or JWKS read from a provider."""
OIDC_FETCH_TIMEOUT_S = 5.0
"""``auth.oidc.fetch_timeout_s``: connect and read timeout of one discovery or JWKS request."""
OIDC_JWKS_CACHE_S = 300.0
"""``auth.oidc.jwks_cache_s``: how long a provider's keys are used before they are fetched again."""
OIDC_JWKS_MIN_REFETCH_S = 10.0
"""``auth.oidc.jwks_min_refetch_s``: a token signed by an unknown key id makes the keys be fetched again, at most
this often per issuer (a flood of forged key ids costs one fetch per interval)."""
OIDC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
"""The asymmetric signature algorithms ``auth.oidc.algorithms`` may allow (never ``none``, never HMAC)."""
OIDC_VERIFIED_TOKEN_TTL_S = 60.0
"""How long a verified token is trusted without checking it again (never past its ``exp``)."""

# --- re-indexing ---------------------------------------------------------------------------------------
REINDEX_MAX_DROP = 0.01
"""``jobs.reindex_max_drop``: how much lower a new generation's NDCG@10 may be than the live one's for the gate to
switch to it (a request's ``max_drop`` overrides it)."""
GENERATION_RETENTION_S = 86_400.0
"""``jobs.reindex_retention_s``: how long a replaced (``previous``) or held generation is kept before the sweeper
drops its chunks and record."""
REINDEX_BATCH_SIZE = 64
"""``jobs.reindex_batch_size``: documents a re-index job builds per batch."""
GENERATION_SWEEP_EVERY_S = 300.0
ABANDONED_BUILD_GRACE_S = 3600.0
"""A building generation whose job record cannot be found is taken as abandoned (and swept) only this long after
it was created (the generation is recorded a moment before its job)."""
"""How often an idle job worker looks for generations past their retention (and drops them)."""
MIN_CHUNK_TOKENS = 16
"""Smallest ``chunk_size`` a re-index may ask for (as ``splitter.chunk_size``)."""
MAX_CHUNK_TOKENS = 8192
"""Largest ``chunk_size`` a re-index may ask for."""
