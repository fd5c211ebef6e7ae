"""The raw-WSGI baseline: the fastest a Python app can answer on this machine (gunicorn, sync)."""

BODY = b'{"status": "healthy", "service": "baseline"}'
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def app(environ: dict, start_response: object) -> list[bytes]:
    start_response("200 OK", HEADERS)  # type: ignore[operator]
    return [BODY]
