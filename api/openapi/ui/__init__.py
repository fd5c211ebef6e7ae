"""The documentation UIs, both on the OpenAPI 3 document (`/api/openapi.json`), both offline.

* `/api/docs`: Swagger UI (Flask-RESTX's bundled assets under `/swaggerui/`), authorization kept
  across reloads (`persistAuthorization`).
* `/api/redoc`: ReDoc, from the vendored `static/redoc/redoc.standalone.js` (npm `redoc` 3.0.1).

Both pages start from static scripts under `/api/docs/assets/`, so the docs CSP needs no
`'unsafe-inline'` in `script-src`.
"""

from flask import Blueprint, render_template, url_for
from flask_restx import Api

REDOC_VERSION = "3.0.1"
# Where the page scripts and ReDoc's bundle are served (inside the docs CSP's path prefix).
ASSETS_URL = "/docs/assets"

docs_blueprint = Blueprint(
    "docs_ui",
    __name__,
    url_prefix="/api",
    static_folder="static",
    static_url_path=ASSETS_URL,
    template_folder="templates",
)


@docs_blueprint.get("/redoc")
def redoc() -> str:
    return render_template("docs_ui/redoc.html", title=_title(), spec_url=url_for("api.openapi"))


def swagger_ui() -> str:
    """Flask-RESTX's doc view, replaced: the same bundled Swagger UI, on the OpenAPI 3 document."""
    return render_template("docs_ui/swagger.html", title=_title(), spec_url=url_for("api.openapi"))


def install(api: Api) -> None:
    """Make `api`'s documentation page (`/api/docs`) the Swagger UI above."""
    api.documentation(swagger_ui)


def _title() -> str:
    from flask import current_app

    # Set by `create_api_blueprint` (Flask's Blueprint type has no `extensions`).
    api: Api = current_app.blueprints["api"].extensions["restx_api"]  # type: ignore[attr-defined]
    return str(api.title)
