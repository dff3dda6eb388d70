"""Who is counted, and how a spent quota is reported: request rates and daily token budgets (stdlib only).

A caller is counted by its API key (its id: a key re-created with a revoked key's name starts afresh) when
it presented a valid key, else by its client IP. Request limits are counted by a ``RateLimiter`` (a window
per limit name and caller); token budgets by a ``TokenBudget`` (tokens spent per caller per UTC day). This
module holds the arithmetic both share and the errors they raise, so that every adapter and entrypoint
reports a spent quota the same way.

A request costs one unit of its limit, except where the work grows with the request: ``/v1/embeddings``
costs one unit per text (``embedding_cost``), ingestion one per ``limits.INGEST_COST_CHARS`` characters of
text or bytes of files (``ingest_cost``). A request is counted once it is known to be allowed (its key may
use the collection, owns the session): a request refused for lack of permission costs nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from autbot.domain import limits
from autbot.domain.auth import Principal
from autbot.domain.errors import AutbotError, BudgetExhausted, CostExceedsLimit, RateLimited

LIMITED_ROUTES = ("query", "search", "ingest", "embeddings", "sessions")
"""The limit names a route can carry; each has its own rate setting (``limits.<name>``)."""
AUTH_FAILURES = "auth_failures"
"""The limit on failed API keys per client IP (``limits.auth_failures``); no route carries it."""
UNITS = {"ingest": f"units of {limits.INGEST_COST_CHARS:,} characters", "embeddings": "texts"}
"""What a limit counts, where it is not requests."""
LIMIT_NAMES = (*LIMITED_ROUTES, AUTH_FAILURES)
"""Every limit a ``RateLimiter`` counts, each with its rate setting ``limits.<name>``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RateDecision:
    """The outcome of counting one hit against a limit of ``limit`` units (requests, or their cost) per
    ``window_s``."""

    allowed: bool
    limit: int
    remaining: int
    """Units still allowed in the current window after this hit (never negative)."""
    reset_after_s: float
    """Seconds until the window frees its oldest units (the whole window, for a fixed window)."""
    window_s: int


def caller_identity(principal: Principal | None, client_ip: str | None) -> str:
    """``key:<key id>`` (``Principal.owner``) for a caller with a valid key, else ``ip:<address>``: the unit
    of every quota."""
    if principal is not None and principal.authenticated:
        return principal.owner
    return f"ip:{client_ip or 'unknown'}"


def retry_after_s(seconds: float) -> int:
    """Whole seconds to wait, at least 1 (what ``Retry-After`` carries)."""
    return max(1, math.ceil(seconds))


def embedding_cost(texts: int) -> int:
    """``limits.embeddings`` units of a ``/v1/embeddings`` request: one per text (the embedder reads at most its
    window of each, so a text costs about one chunk's work however long it is)."""
    return max(1, texts)


def ingest_cost(size: int) -> int:
    """``limits.ingest`` units of an ingestion: ``size`` characters of document text (JSON) or bytes of uploaded
    files, per ``limits.INGEST_COST_CHARS`` begun; at least one per request."""
    return max(1, -(-size // limits.INGEST_COST_CHARS))


def refused(limit_name: str, cost: int, decision: RateDecision) -> AutbotError:
    """Why a hit was not allowed: the window is spent (429 ``rate_limited``), or the request alone costs more
    than a whole window allows (413 ``request_exceeds_rate_limit``: waiting never helps)."""
    if cost <= decision.limit:
        return rate_limited(limit_name, decision)
    return CostExceedsLimit(
        f"This request costs {cost} units of the {limit_name} limit, which allows {decision.limit} per "
        f"{decision.window_s} s; split it into smaller requests.",
        route=limit_name,
        cost=cost,
        limit=decision.limit,
        window_s=decision.window_s,
    )


def rate_limited(limit_name: str, decision: RateDecision) -> RateLimited:
    wait = retry_after_s(decision.reset_after_s)
    return RateLimited(
        f"Too many {limit_name} requests: {decision.limit} {UNITS.get(limit_name, 'requests')} per "
        f"{decision.window_s} s are allowed; retry in {wait} s.",
        route=limit_name,
        limit=decision.limit,
        remaining=0,
        reset_after_s=decision.reset_after_s,
        window_s=decision.window_s,
        retry_after_s=wait,
    )


def too_many_failed_keys(limit: int, window_s: int, reset_after_s: float) -> RateLimited:
    """Past ``limits.auth_failures`` for a client IP: 429 until the window frees a failure."""
    wait = retry_after_s(reset_after_s)
    return RateLimited(
        f"Too many requests with an invalid API key from this address: {limit} per {window_s} s are allowed; "
        f"retry in {wait} s.",
        route=AUTH_FAILURES,
        limit=limit,
        remaining=0,
        reset_after_s=reset_after_s,
        window_s=window_s,
        retry_after_s=wait,
    )


# --- request rates in the ``limits`` library's notation -------------------------------------------------
_ONE_RATE = r"\s*([0-9]+)\s*(/|\s*per\s*)\s*([0-9]+)?\s*([a-z]+)\s*"
_ONE = re.compile(_ONE_RATE, re.IGNORECASE)
_MANY = re.compile(rf"^{_ONE_RATE}(:?[,;|]{{1}}{_ONE_RATE})*$", re.IGNORECASE)  # as ``limits`` writes it
_SEPARATORS = re.compile(r"[,;|]{1}")
_GRANULARITY_S = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400, "month": 2_592_000, "year": 31_104_000}


@dataclass(frozen=True, slots=True)
class Rate:
    """``amount`` requests per ``window_s`` seconds."""

    amount: int
    window_s: int


def parse_rates(text: str) -> list[Rate]:
    """Rates written as ``limits.parse_many`` reads them (``600/minute``, ``10 per second``, ``5/2 hours``,
    several joined by ``,``, ``;`` or ``|``), with the same results and the same ``ValueError`` for anything
    else: the request limits are read here without importing ``limits`` (only the Redis limiter needs it)."""
    if not (isinstance(text, str) and _MANY.match(text)):
        raise ValueError(f"couldn't parse rate limit string '{text}'")
    rates = []
    for part in _SEPARATORS.split(text):
        match = _ONE.match(part)
        if match:
            amount, _, multiples, granularity = match.groups()
            seconds = _GRANULARITY_S.get(granularity.lower().removesuffix("s"))  # "minute" or "minutes"
            if seconds is None:
                raise ValueError(f"no granularity matched for {granularity}")
            rates.append(Rate(int(amount), seconds * ((multiples and int(multiples)) or 1)))
    return rates


def parse_rate(text: str) -> Rate:
    """The first rate of ``text`` (``limits.parse``)."""
    return parse_rates(text)[0]


# --- daily token budgets ------------------------------------------------------------------------------
def budget_day(now: float) -> str:
    """The UTC day a budget is counted in, as ``YYYY-MM-DD``."""
    return datetime.fromtimestamp(now, UTC).date().isoformat()


def budget_resets_at(now: float) -> datetime:
    """The next UTC midnight."""
    today = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def check_budget(*, spent: int, limit: int, now: float) -> None:
    """Raise ``BudgetExhausted`` (429) when ``limit`` tokens are spent today; 0 means unlimited.

    The check comes before the model is called and the charge after, so the answer that crosses the
    limit completes and the next one is refused."""
    if limit <= 0 or spent < limit:
        return
    resets = budget_resets_at(now)
    raise BudgetExhausted(
        f"The daily token budget ({limit} tokens) is spent; it resets at {resets:%Y-%m-%dT%H:%M:%SZ}.",
        limit=limit,
        spent=spent,
        resets_at=f"{resets:%Y-%m-%dT%H:%M:%SZ}",
        retry_after_s=retry_after_s(resets.timestamp() - now),
    )
