"""How a request retrieves, and what a question may be (stdlib only).

``RetrievalOptions`` is the one value of every use case that retrieves: ``/search``, ``/query``, session
messages and the ``autbot`` extension of chat completions. What a request leaves out (None) takes the use
case's default: vector search and ``limits.DEFAULT_SEARCH_TOP_K`` chunks for search (``SEARCH_MODE``), hybrid
search and ``llm.default_top_k`` chunks for answers (``ANSWER_MODE``), ``search.hybrid_alpha`` for both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from autbot.domain import limits
from autbot.domain.access import ACL_PREFIX, AccessFilter
from autbot.domain.errors import InvalidInput
from autbot.domain.model import ChunkQuery, Fusion, MetadataFilter, SearchMode, check_text

SEARCH_MODE = SearchMode(limits.DEFAULT_SEARCH_MODE)
"""How search retrieves when the request does not say (``limits.DEFAULT_SEARCH_MODE``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RetrievalOptions:
    """How to retrieve: the search mode, how many chunks, metadata filters, the hybrid weight, a score floor."""

    mode: SearchMode | None = None
    """``vector``, ``keyword`` or ``hybrid``; None: the use case's default."""
    top_k: int | None = None
    """Chunks to retrieve (1 to ``limits.MAX_TOP_K``); None: the use case's default."""
    filters: tuple[MetadataFilter, ...] = ()
    """Equalities on metadata, all of which must hold (``model.parse_filters``)."""
    alpha: float | None = None
    """Weight of the vector side in hybrid mode, 0-1 (1 = vector only); None: ``search.hybrid_alpha``."""
    min_vector_score: float | None = None
    """The relevance floor, -1 to 1 (``ChunkQuery.min_vector_score``): in vector and hybrid modes no chunk less
    similar to the query (cosine) is returned. None: no floor; answers always use ``llm.min_vector_score``."""

    def defaulted(self, *, mode: SearchMode, top_k: int) -> RetrievalOptions:
        """These options with a use case's defaults where the request left them out."""
        return replace(
            self, mode=mode if self.mode is None else self.mode, top_k=top_k if self.top_k is None else self.top_k
        )


def question_text(raw: str, *, field: str = "question") -> str:
    """A question or search query, stripped: 1 to ``limits.MAX_QUERY_CHARS`` characters of valid Unicode.
    ``field`` names it in the error (``query`` for search, ``question`` for answers, ``messages`` for chat)."""
    what = "query" if field == "query" else "question"
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise InvalidInput(f"The {what} is empty.", field=field)
    if len(text) > limits.MAX_QUERY_CHARS:
        raise InvalidInput(f"The {what} is longer than {limits.MAX_QUERY_CHARS} characters.", field=field)
    check_text(text, field=field)
    return text


def chunk_query(
    text: str, options: RetrievalOptions, *, top_k: int, alpha: float, fusion: Fusion, access: AccessFilter | None
) -> ChunkQuery:
    """The index query for a checked question (``question_text``): the options within their bounds, ``top_k``
    and ``alpha`` where they are None (the mode: ``SEARCH_MODE``), what the caller may see (``access``)."""
    k = top_k if options.top_k is None else options.top_k
    if not 1 <= k <= limits.MAX_TOP_K:
        raise InvalidInput(f"top_k must be between 1 and {limits.MAX_TOP_K}.", field="top_k")
    weight = alpha if options.alpha is None else options.alpha
    if not 0.0 <= weight <= 1.0:
        raise InvalidInput("alpha must be between 0 and 1.", field="alpha")
    if any(f.key.startswith(ACL_PREFIX) for f in options.filters):
        raise InvalidInput("Filter keys starting with '_acl_' are reserved.", field="filters")
    floor = options.min_vector_score
    if floor is not None and not -1.0 <= floor <= 1.0:
        raise InvalidInput("min_vector_score must be between -1 and 1.", field="min_vector_score")
    return ChunkQuery(
        top_k=k,
        text=text,
        filters=options.filters,
        mode=SEARCH_MODE if options.mode is None else options.mode,
        alpha=weight,
        fusion=fusion,
        access=access,
        min_vector_score=floor,
    )
