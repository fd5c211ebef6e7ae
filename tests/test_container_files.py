"""The image gets only what the server runs (`.dockerignore` is an allow-list), and everything
the server imports is in it; the Dockerfile keeps the code out of the app user's reach.
`make docker-smoke` builds and runs the image for real."""

import fnmatch
import json
import subprocess
import sys
from pathlib import Path

from api.core.config import ROOT

DOCKERIGNORE = (ROOT / ".dockerignore").read_text().splitlines()
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def sent_to_build(relative: str) -> bool:
    """Docker's rule: the last matching pattern wins; `!` re-includes (directories included)."""
    included = True
    parts = relative.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for line in DOCKERIGNORE:
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if pattern.startswith("**/"):
            hit = any(fnmatch.fnmatch(part, pattern[3:]) for part in parts)
        else:
            hit = any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes)
        if hit:
            included = negate
    return included


def test_everything_the_server_imports_is_sent_to_the_build(tmp_path: Path) -> None:
    probe = (
        "import json, sys, runpy; import app; runpy.run_path('gunicorn.conf.py'); "
        "print(json.dumps([m.__file__ for m in list(sys.modules.values()) "
        "if getattr(m, '__file__', None)]))"
    )
    env = {"PATH": "/usr/bin:/bin", "DATA_DIR": str(tmp_path), "TMPDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-2000:]
    files = json.loads(result.stdout.strip().splitlines()[-1])
    own = sorted({str(p.relative_to(ROOT)) for f in files if (p := ROOT / f).is_relative_to(ROOT)})
    own = [f for f in own if not f.startswith(".venv")]
    assert "api/__init__.py" in own and "app.py" in own
    missing = [f for f in own if not sent_to_build(f)]
    assert missing == [], f"imported at run time but left out by .dockerignore: {missing}"


def test_tests_caches_and_tooling_stay_out_of_the_image() -> None:
    for path in (
        ".git/HEAD", ".hypothesis/examples/x", ".ci/run", "node_modules/x/index.js",
        "Makefile", "tests/conftest.py", "bench/run.py", "data/app.db", ".venv/bin/python",
        "package.json", ".env", "api/__pycache__/x.cpython-311.pyc", "test-artifacts/a.png",
    ):  # fmt: skip
        assert not sent_to_build(path), path
    for path in ("api/openapi/ui/static/redoc/redoc.standalone.js", "migrations/env.py", "app.py"):
        assert sent_to_build(path), path


def test_dockerfile_keeps_code_root_owned_and_builds_offline() -> None:
    lines = [line.strip() for line in DOCKERFILE.splitlines()]
    assert not any(line.startswith("# syntax") for line in lines)  # BuildKit would fetch it
    assert "--chown" not in DOCKERFILE  # the app user must not own the code
    assert "USER 10001:10001" in lines
    assert not any(line.startswith("VOLUME") for line in lines)  # no anonymous volumes
    healthcheck = next(line for line in lines if line.startswith("HEALTHCHECK"))
    assert "--interval=5s" in healthcheck  # first probe 5 s after start: healthy within 20 s
