# Production image: gunicorn as uid 10001, code owned by root and read-only for it, state only
# in /app/data. Build offline-friendly with the classic builder or BuildKit (no `# syntax=` line,
# which would make BuildKit fetch a frontend image from a registry).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production \
    FLASK_RUN_PORT=5000 \
    DATA_DIR=/app/data \
    DATABASE_URL=sqlite:////app/data/app.db \
    UPLOAD_FOLDER=/app/data/uploads

WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# The code belongs to root: a compromised worker cannot rewrite it. Bytecode is compiled here,
# since the app user cannot write __pycache__ at run time.
COPY . .
RUN python -m compileall -q /app \
    && chmod -R u=rwX,go=rX /app \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin app \
    && install -d -o app -g app -m 0750 /app/data /app/data/uploads

USER 10001:10001
# No VOLUME: it would leave an anonymous volume behind every `docker run` without `-v`.
# Mount a named volume (or a folder owned by uid 10001) on /app/data to keep the data.
EXPOSE 5000

# Required at run time in production: SECRET_KEY, ADMIN_PASSWORD, and METRICS_TOKEN (or
# METRICS_BIND, or METRICS_ENABLED=false); see the README's "Deploy" section.
# The first probe runs one interval (5 s) after start; the app answers in about 1 s, so the
# container is healthy within 20 s even on a loaded host (one missed probe costs 5 s).
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('FLASK_RUN_PORT', '5000')}/api/health\", timeout=2)"]

# gunicorn.conf.py migrates the database and creates the admin before workers start; its
# graceful_timeout (8 s) ends in-flight requests before `docker stop` (10 s) kills.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "app:app"]
