"""Response headers every answer carries: security headers (one policy for the API, one for the
documentation pages) and the headers browser clients may read through CORS."""

from flask import request
from flask.wrappers import Response

# The doc UIs run only their own static scripts; their inline styles (React style attributes,
# ReDoc's styled-components) still need 'unsafe-inline' in style-src. Everything else gets nothing.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = ("/api/docs", "/api/redoc", "/swaggerui")
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# How long a browser may keep a preflight's answer instead of asking before every write (seconds).
CORS_PREFLIGHT_MAX_AGE = 600
# Response headers browser clients may read (CORS hides all but a few by default).
EXPOSED_HEADERS = [
    "ETag",
    "Link",
    "X-Total-Count",
    "X-Request-ID",
    "Idempotent-Replayed",
    "Retry-After",
    "WWW-Authenticate",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "RateLimit",
    "RateLimit-Policy",
]
API_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
]
DOCS_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", DOCS_CSP),
]


def cors_origins(value: str) -> str | list[str]:
    """`CORS_ORIGINS` (comma-separated) as Flask-CORS wants it: `*` or a list."""
    origins = [origin.strip() for origin in value.split(",") if origin.strip()]
    return "*" if origins in ([], ["*"]) else origins


def security_headers(response: Response) -> Response:
    """Added in one pass (this runs on every response); a view's own values win."""
    headers = response.headers
    is_docs = request.path.startswith(DOCS_PATHS)
    present = {name.lower() for name, _ in headers.items()}
    for name, value in DOCS_HEADERS if is_docs else API_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if not is_docs and "content-security-policy" not in present:
        headers.add("Content-Security-Policy", API_CSP)
    if "content-type" in present and (
        response.status_code in (204, 304)
        or (request.method == "OPTIONS" and response.calculate_content_length() == 0)
    ):
        del headers["Content-Type"]  # no content, so no type (not Flask's default text/html)
    return response


def vary_on_origin(response: Response) -> Response:
    """With a list of allowed origins the CORS headers depend on `Origin`, whether it is allowed
    or not: every answer says so, so a shared cache never hands one origin's CORS headers (or
    none) to another. (Flask-CORS adds it only where it allowed the origin.)"""
    if "origin" not in (value.lower() for value in response.vary):
        response.vary.add("Origin")
    return response
