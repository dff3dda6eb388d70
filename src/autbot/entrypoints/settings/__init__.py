"""Settings: the typed schema (:mod:`.schema`) and where values come from (:mod:`.loader`)."""

from __future__ import annotations

from autbot.entrypoints.settings.access import AuthSettings, LimitsSettings, RedisSettings, SecretsSettings
from autbot.entrypoints.settings.loader import (
    DEFAULT_PROFILE,
    ENV_PREFIX,
    PROFILES_DIR,
    bundled_profiles,
    effective_settings,
    load_settings,
    load_settings_with_sources,
    settings_from_dict,
)
from autbot.entrypoints.settings.schema import (
    ChromaSettings,
    EmbedderSettings,
    IndexSettings,
    IngestSettings,
    LlmSettings,
    LocalLlmSettings,
    LoggingSettings,
    OpenAISettings,
    SearchSettings,
    ServerSettings,
    Settings,
    SplitterSettings,
    StorageSettings,
    WeaviateSettings,
    redact_url,
)
from autbot.entrypoints.settings.types import BACKENDS, EmbedderBackend, IndexBackend, LlmBackend, SecretsBackend

__all__ = [
    "BACKENDS",
    "DEFAULT_PROFILE",
    "ENV_PREFIX",
    "PROFILES_DIR",
    "AuthSettings",
    "ChromaSettings",
    "EmbedderBackend",
    "EmbedderSettings",
    "IndexBackend",
    "IndexSettings",
    "IngestSettings",
    "LimitsSettings",
    "LlmBackend",
    "LlmSettings",
    "LocalLlmSettings",
    "LoggingSettings",
    "OpenAISettings",
    "RedisSettings",
    "SearchSettings",
    "SecretsBackend",
    "SecretsSettings",
    "ServerSettings",
    "Settings",
    "SplitterSettings",
    "StorageSettings",
    "WeaviateSettings",
    "bundled_profiles",
    "effective_settings",
    "load_settings",
    "load_settings_with_sources",
    "redact_url",
    "settings_from_dict",
]
