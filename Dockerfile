# syntax=docker/dockerfile:1
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

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app \
    && mkdir -p /app/data/uploads && chown -R app:app /app/data

COPY --chown=app:app . .

USER 10001:10001
VOLUME ["/app/data"]
EXPOSE 5000

# Production mode refuses to start without a real SECRET_KEY: pass one with `-e SECRET_KEY=...`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('FLASK_RUN_PORT', '5000')}/api/health\", timeout=4)"]

# gunicorn.conf.py migrates the database and creates the default admin before workers start.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "app:app"]
