"""The web page at ``/`` and the OpenAPI pages under ``/schema``, every file served by AutBot itself.

Nothing is loaded from another host, so both work offline, and their Content-Security-Policy allows only
this origin (``'self'``): the page is plain ES modules in ``web/`` (no inline script, no build step); the
docs are Swagger UI from the pinned ``litestar-offline-docs`` package, started by ``web/docs/swagger-init.js``
instead of Litestar's inline script. The ``security_headers`` hook keeps a policy a handler sets.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import litestar_offline_docs
from litestar import Request, Response, get
from litestar.enums import MediaType
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin, SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from autbot.entrypoints.http import security as sec

WEB_DIR = Path(__file__).parent / "web"
"""index.html, app.js, api.js, app.css; docs/ holds the Swagger UI start-up script."""
SWAGGER_DIR = Path(litestar_offline_docs.__file__).parent / "static"
"""swagger-ui-bundle.js, swagger-ui-standalone-preset.js, swagger-ui.css (Swagger UI, Apache-2.0)."""
DOCS_ASSETS = "/schema/assets"

PAGE_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)
"""The page at ``/``: its own scripts, styles and API only."""


def page_routes() -> list[ControllerRouterHandler]:
    """``GET /`` (the page, read once here) and ``/web/*`` (its files). Public: the page asks for a key itself."""
    page = (WEB_DIR / "index.html").read_bytes()

    @get("/", opt=sec.public(), include_in_schema=False, sync_to_thread=False, name="web-page")
    def index() -> Response[bytes]:
        return Response(page, media_type=MediaType.HTML, headers={"Content-Security-Policy": PAGE_CSP})

    files = create_static_files_router(
        path="/web", directories=[WEB_DIR], opt=sec.public(), name="web-files", include_in_schema=False
    )
    return [index, files]


def docs_assets() -> Router:
    """``/schema/assets/*``: Swagger UI's bundle and its start-up script (``/schema`` needs no key)."""
    return create_static_files_router(
        path=DOCS_ASSETS,
        directories=[SWAGGER_DIR, WEB_DIR / "docs"],
        opt=sec.public(),
        name="docs-assets",
        include_in_schema=False,
    )


class OfflineSwaggerRenderPlugin(SwaggerRenderPlugin):
    """Swagger UI from ``/schema/assets``, started by a script file (no inline script for the policy to allow)."""

    def __init__(self, path: str | Sequence[str] = ("/", "/swagger"), spec_url: str = "/schema/openapi.json") -> None:
        super().__init__(
            js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
            path=path,
            favicon="<link rel='icon' href='data:,'>",
            style="",
        )
        self.spec_url = spec_url

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema.get("info", {}).get("title", "API")))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  {self.favicon}
  <link rel="stylesheet" href="{self.css_url}">
  <script src="{self.js_url}"></script>
  <script src="{self.standalone_preset_js_url}"></script>
  <script src="{DOCS_ASSETS}/swagger-init.js" defer></script>
</head>
<body>
  <div id="swagger-container" data-spec-url="{self.spec_url}"></div>
</body>
</html>
""".encode()


def docs_plugins() -> list[OpenAPIRenderPlugin]:
    """``/schema`` and ``/schema/swagger`` (Swagger UI, offline) and ``/schema/openapi.json``. Redoc, RapiDoc,
    Elements and Scalar are not served: no pinned package ships their bundles, and from a CDN they are blank
    offline."""
    return [OfflineSwaggerRenderPlugin(), JsonRenderPlugin()]


__all__ = ["DOCS_ASSETS", "PAGE_CSP", "OfflineSwaggerRenderPlugin", "docs_assets", "docs_plugins", "page_routes"]
