"""The web page at ``/`` and the OpenAPI pages under ``/schema``, every file served by AutBot itself.

Nothing is loaded from another host, so both work offline, and their Content-Security-Policy allows only
this origin (``'self'``): the page is plain ES modules in ``web/`` (no inline script, no build step). The
docs pages are Swagger UI (``/schema``, from the pinned ``litestar-offline-docs`` package) and Redoc,
RapiDoc, Stoplight Elements and Scalar (``/schema/<name>``, bundles vendored from npm under
``web/docs/vendor/`` by ``scripts/vendor-docs.sh``), each started by a script file in ``web/docs/`` or by its
own custom element's attributes instead of Litestar's inline script. ``SecurityHeaders`` (security_headers.py) gives
them its docs policy (``'self'`` only).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import litestar_offline_docs
from litestar import Request, Response, get
from litestar.enums import MediaType
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from autbot.entrypoints.http.middleware import auth as sec

WEB_DIR = Path(__file__).parent / "static"
"""index.html, app.js, api.js, app.css; docs/ holds the docs pages' start-up scripts and vendor/ bundles."""
SWAGGER_DIR = Path(litestar_offline_docs.__file__).parent / "static"
"""swagger-ui-bundle.js, swagger-ui-standalone-preset.js, swagger-ui.css (Swagger UI, Apache-2.0)."""
DOCS_ASSETS = "/schema/assets"
VENDOR = f"{DOCS_ASSETS}/vendor"
"""The npm bundles, one folder each, with their licences (``web/docs/vendor/VERSIONS`` pins them)."""
SPEC_URL = "/schema/openapi.json"

SIGN_IN_PATH = "/auth/web-client.json"
"""Where the page reads how to sign in through an OIDC provider (404: no provider configured)."""


def page_csp(sign_in_origin: str | None = None) -> str:
    """The page at ``/``: its own scripts, styles and API only; plus, where the page signs in through an OIDC
    provider, that provider's origin for its discovery document and token endpoint (``connect-src``)."""
    connect = f"connect-src 'self' {sign_in_origin}" if sign_in_origin else "connect-src 'self'"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            connect,
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


PAGE_CSP = page_csp()


@dataclass(frozen=True, slots=True)
class WebSignIn:
    """An OIDC public client the page signs in with (authorization code + PKCE)."""

    issuer: str
    client_id: str
    scope: str

    @property
    def origin(self) -> str:
        scheme, _, rest = self.issuer.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}"


def page_routes(sign_in: WebSignIn | None = None) -> list[ControllerRouterHandler]:
    """``GET /`` (the page, read once here), ``/web/*`` (its files) and ``SIGN_IN_PATH``. Public: the page asks
    for a key, or signs in, itself."""
    page = (WEB_DIR / "index.html").read_bytes()
    csp = page_csp(sign_in.origin if sign_in else None)

    @get("/", opt=sec.public(), include_in_schema=False, sync_to_thread=False, name="web-page")
    def index() -> Response[bytes]:
        return Response(page, media_type=MediaType.HTML, headers={"Content-Security-Policy": csp})

    @get(SIGN_IN_PATH, opt=sec.public(), include_in_schema=False, sync_to_thread=False, name="web-sign-in")
    def web_client() -> Response[dict[str, str]]:
        if sign_in is None:
            return Response({"code": "not_found"}, status_code=404)
        body = {"issuer": sign_in.issuer, "client_id": sign_in.client_id, "scope": sign_in.scope}
        return Response(body, headers={"Cache-Control": "no-store"})

    files = create_static_files_router(
        path="/web", directories=[WEB_DIR], opt=sec.public(), name="web-files", include_in_schema=False
    )
    return [index, web_client, files]


def docs_assets() -> Router:
    """``/schema/assets/*``: the docs pages' bundles and start-up scripts (``/schema`` needs no key)."""
    return create_static_files_router(
        path=DOCS_ASSETS,
        directories=[SWAGGER_DIR, WEB_DIR / "docs"],
        opt=sec.public(),
        name="docs-assets",
        include_in_schema=False,
    )


@dataclass(frozen=True)
class DocsPage:
    """One OpenAPI UI: its stylesheets and scripts (``/schema/assets`` paths) and its body, where ``{spec}`` is
    the spec's URL (already escaped). Scripts load in order; the start-up script, an ES module, runs after
    them (modules are deferred) and may import a bundle that is one."""

    paths: tuple[str, ...]
    styles: tuple[str, ...]
    scripts: tuple[str, ...]
    body: str
    start: str | None = None


PAGES: dict[str, DocsPage] = {
    "swagger": DocsPage(
        paths=("/", "/swagger"),
        styles=(f"{DOCS_ASSETS}/swagger-ui.css",),
        scripts=(f"{DOCS_ASSETS}/swagger-ui-bundle.js", f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js"),
        body='<div id="swagger-container" data-spec-url="{spec}"></div>',
        start=f"{DOCS_ASSETS}/swagger-init.js",
    ),
    "redoc": DocsPage(
        paths=("/redoc",),
        styles=(),
        scripts=(),  # an ES module, imported by redoc-init.js
        body='<div id="redoc-container" data-spec-url="{spec}"></div>',
        start=f"{DOCS_ASSETS}/redoc-init.js",
    ),
    "rapidoc": DocsPage(  # a custom element: its attributes configure it; no fonts from another host
        paths=("/rapidoc",),
        styles=(),
        scripts=(f"{VENDOR}/rapidoc/rapidoc-min.js",),
        body='<rapi-doc spec-url="{spec}" load-fonts="false" allow-spec-url-load="false" '
        'allow-spec-file-load="false" show-header="false" render-style="read" theme="light"></rapi-doc>',
    ),
    "elements": DocsPage(  # a custom element too
        paths=("/elements",),
        styles=(f"{VENDOR}/elements/styles.min.css",),
        scripts=(f"{VENDOR}/elements/web-components.min.js",),
        body='<elements-api apiDescriptionUrl="{spec}" router="hash" layout="sidebar"></elements-api>',
    ),
    "scalar": DocsPage(
        paths=("/scalar",),
        styles=(),
        scripts=(f"{VENDOR}/scalar/standalone.js",),
        body='<div id="scalar-container" data-spec-url="{spec}"></div>',
        start=f"{DOCS_ASSETS}/scalar-init.js",
    ),
}
"""Every docs page, by name; ``/schema`` itself is Swagger UI."""


class OfflineDocsPlugin(OpenAPIRenderPlugin):
    """A docs page from ``/schema/assets`` only, started by a script file (no inline script for the policy to
    allow) or by its custom element."""

    def __init__(self, page: DocsPage, spec_url: str = SPEC_URL) -> None:
        super().__init__(path=list(page.paths), favicon="<link rel='icon' href='data:,'>", style="")
        self.page = page
        self.spec_url = spec_url

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema.get("info", {}).get("title", "API")))
        head = [f'<link rel="stylesheet" href="{url}">' for url in self.page.styles]
        head += [f'<script src="{url}"></script>' for url in self.page.scripts]
        if self.page.start:
            head.append(f'<script type="module" src="{self.page.start}"></script>')
        body = self.page.body.format(spec=html.escape(self.spec_url))
        newline = "\n  "
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  {self.favicon}
  {newline.join(head)}
</head>
<body>
  {body}
</body>
</html>
""".encode()


def docs_plugins() -> list[OpenAPIRenderPlugin]:
    """``/schema`` and ``/schema/swagger`` (Swagger UI), ``/schema/redoc``, ``/schema/rapidoc``,
    ``/schema/elements``, ``/schema/scalar``, every one offline, and ``/schema/openapi.json``."""
    return [*(OfflineDocsPlugin(page) for page in PAGES.values()), JsonRenderPlugin()]


__all__ = [
    "DOCS_ASSETS",
    "PAGES",
    "PAGE_CSP",
    "DocsPage",
    "OfflineDocsPlugin",
    "docs_assets",
    "docs_plugins",
    "page_routes",
]
