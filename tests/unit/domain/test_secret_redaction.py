"""Credentials in URLs are hidden wherever a URL is shown: settings (``autbot config``), log lines, readiness
details. Userinfo (``user:password@``) and query or fragment parameters that carry a secret."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot.domain.model import HealthStatus
from autbot.domain.secrets import redact_url, secret_param
from autbot.entrypoints.observability.logs import configure_logging
from autbot.entrypoints.settings import LoggingSettings
from autbot.use_cases.readiness import CheckReadiness, ReadinessRequest

TOKEN = "s3cr3tVALUE"


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "key",
        "api_key",
        "apiKey",
        "API-KEY",
        "access_token",
        "secret",
        "client_secret",
        "password",
        "sig",
        "X-Amz-Signature",
        "X-Amz-Credential",
        "X-Amz-Security-Token",
        "auth",
        "code",
        "passwd",
        "pwd",
    ],
)
def test_query_parameters_that_carry_a_secret_are_hidden(name: str) -> None:
    url = f"https://collector.example:4318/v1/traces?tenant=acme&{name}={TOKEN}&x=1"
    shown = redact_url(url)
    assert TOKEN not in shown
    assert shown == f"https://collector.example:4318/v1/traces?tenant=acme&{name}=***&x=1"
    assert secret_param(name)


@pytest.mark.parametrize(
    "url",
    [
        f"redis://:{TOKEN}@127.0.0.1:6379/0?ssl_cert_reqs=none&password={TOKEN}",
        f"http://weaviate:8080/v1?token={TOKEN}#access_token={TOKEN}",
        f"https://blob.example/c/f.pdf?sv=2024&se=2030&sig={TOKEN}",
        f"https://api.example/v1;session={TOKEN}",
    ],
)
def test_every_secret_of_a_url_is_hidden(url: str) -> None:
    assert TOKEN not in redact_url(url)


def test_urls_inside_a_text_are_redacted_too() -> None:
    text = f"cannot reach redis://user:{TOKEN}@cache:6379/0 nor http://h/x?api_key={TOKEN} (timeout)"
    assert redact_url(text) == "cannot reach redis://***@cache:6379/0 nor http://h/x?api_key=*** (timeout)"


def test_harmless_parameters_and_texts_are_left_alone() -> None:
    for text in ("http://h:8080/v1?page=2&limit=50", "a=b and c=d", "https://api.openai.com/v1", "x ?model=rag:kb"):
        assert redact_url(text) == text
    assert not secret_param("page")


_NAMES = st.sampled_from(["token", "key", "api_key", "access_token", "secret", "password", "sig"])
_VALUES = st.text(
    alphabet=st.characters(exclude_characters="@&#;'\"<> \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0"), min_size=1
)


@given(name=_NAMES, value=_VALUES, path=st.text(alphabet="abcdefghij/.-", max_size=20))
def test_a_secret_parameter_value_never_survives(name: str, value: str, path: str) -> None:
    shown = redact_url(f"https://host/{path}?a=1&{name}={value}&b=2")
    assert shown == f"https://host/{path}?a=1&{name}=***&b=2"


def test_log_lines_never_carry_url_credentials() -> None:
    for json in (True, False):
        out = io.StringIO()
        configure_logging(LoggingSettings(json=json), stream=out)
        logging.getLogger("some.library").warning("GET https://u:%s@api.example/x?token=%s failed", TOKEN, TOKEN)
        from loguru import logger

        logger.warning("upstream at {} failed", f"http://svc:1/v1?api_key={TOKEN}")
        text = out.getvalue()
        assert "failed" in text
        assert TOKEN not in text


class _Leaky:
    model_id = "leaky"
    dimension = 1

    def health(self) -> HealthStatus:
        return HealthStatus(ok=False, detail=f"http://u:{TOKEN}@db:1/?key={TOKEN} refused")

    def search_modes(self) -> frozenset[str]:  # pragma: no cover - not called
        return frozenset()


def test_readiness_details_never_carry_url_credentials() -> None:
    leaky = _Leaky()
    check = CheckReadiness(embedder=leaky, chunks=leaky, registry=leaky, llm=leaky)  # type: ignore[arg-type]
    result = asyncio.run(check.execute(ReadinessRequest()))
    for status in result.checks.values():
        assert TOKEN not in status.detail
        assert "refused" in status.detail


def test_config_shows_no_query_token() -> None:
    from autbot.entrypoints.settings import load_settings
    from autbot.entrypoints.settings.loader import effective_settings

    settings = load_settings(
        "local",
        env={},
        overrides={
            "tracing": {"otlp_endpoint": f"https://otel.example/v1/traces?api_key={TOKEN}"},
            "redis": {"url": f"redis://cache:6379/0?password={TOKEN}"},
        },
    )
    shown = effective_settings(settings)
    assert shown["tracing.otlp_endpoint"] == "https://otel.example/v1/traces?api_key=***"
    assert shown["redis.url"] == "redis://cache:6379/0?password=***"
    assert all(TOKEN not in str(v) for v in shown.values())


def test_error_bodies_never_carry_url_credentials() -> None:
    from autbot.domain.errors import IndexUnavailable
    from autbot.entrypoints.http.errors.openai import error_of
    from autbot.entrypoints.http.errors.problems import autbot_problem

    error = IndexUnavailable(f"Weaviate at http://u:{TOKEN}@db:8080/v1?api_key={TOKEN} failed: refused")
    assert TOKEN not in str(autbot_problem(error))
    assert TOKEN not in str(error_of(error))
    assert "failed: refused" in autbot_problem(error)["detail"]
