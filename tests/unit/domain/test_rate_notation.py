"""``domain.quotas.parse_rates`` reads rates as ``limits.parse_many`` does, so the request limits need no
``limits`` import (only the Redis limiter uses the library)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from limits import parse_many

from autbot.adapters.quotas.in_process import InProcessRateLimiter
from autbot.domain.errors import ConfigurationError
from autbot.domain.quotas import Rate, parse_rate, parse_rates
from autbot.entrypoints.settings import load_settings

_SPACE = st.text(alphabet=" \t\n\u00a0", max_size=2)
_UNIT = st.sampled_from(["second", "minute", "hour", "day", "month", "year", "sec", "week", "s", ""]).flatmap(
    lambda u: st.sampled_from([u, u + "s", u.upper(), u.title() + "S", u + "ss"])
)
_NUMBER = st.integers(min_value=0, max_value=10**6).map(str) | st.sampled_from(["", "007", "-1", "1.5", "x"])


@st.composite
def _one(draw: st.DrawFn) -> str:
    amount, unit = draw(_NUMBER), draw(_UNIT)
    per = draw(st.sampled_from(["/", " per ", "per", " / ", "//", " pre "]))
    multiples = draw(st.sampled_from(["", "0", "2", " 10 ", "15"]))
    return f"{draw(_SPACE)}{amount}{per}{multiples}{unit}{draw(_SPACE)}"


_TEXT = st.lists(_one(), min_size=1, max_size=3).flatmap(
    lambda rates: st.sampled_from([",", ";", "|", ":;", ",,", " "]).map(lambda sep: sep.join(rates))
)
_VALID = st.builds(
    "{}{}{}{}".format,
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(["/", " per ", "per", " / "]),
    st.sampled_from(["", "0", "2", " 10 "]),
    st.sampled_from(["second", "minute", "hour", "day", "month", "year"]).flatmap(
        lambda u: st.sampled_from([u, u + "s", u.upper(), u.title()])
    ),
)


def _theirs(text: str) -> list[Rate] | str:
    try:
        return [Rate(int(r.amount), int(r.get_expiry())) for r in parse_many(text)]
    except ValueError as e:
        return str(e)


def _ours(text: str) -> list[Rate] | str:
    try:
        return parse_rates(text)
    except ValueError as e:
        return str(e)


@settings(max_examples=600)
@given(_VALID | st.lists(_VALID, min_size=2, max_size=3).map(";".join) | _TEXT | st.text(max_size=20))
@example("600/minute")
@example("10 per second")
@example("1/0 second")
@example("5/2 HOURS")
@example("1/second\n")
@example("1/\u017fecond")  # a letter that matches [a-z] ignoring case, and no unit
def test_rates_read_as_the_limits_library_reads_them(text: str) -> None:
    assert _ours(text) == _theirs(text)


def test_a_rate_is_an_amount_per_window() -> None:
    assert parse_rate("600/minute") == Rate(600, 60)
    assert parse_rate("10 per 2 hours") == Rate(10, 7200)
    assert parse_rates("1/second; 5/minute") == [Rate(1, 1), Rate(5, 60)]


@pytest.mark.parametrize("bad", ["", "minute", "ten/minute", "10/fortnight", "10/", "10 minute"])
def test_a_bad_rate_is_a_configuration_error_naming_it(bad: str) -> None:
    with pytest.raises(ConfigurationError, match="Bad rate limit"):
        InProcessRateLimiter({"query": bad})
    with pytest.raises(ConfigurationError, match=r"limits\.query"):
        load_settings(env={"AUTBOT_LIMITS__QUERY": bad})
