"""WSGI entry point: `gunicorn app:app` (see gunicorn.conf.py) or `python app.py`."""

import os

from api import create_app
from api.cli import prepare_database

app = create_app()

if __name__ == "__main__":
    prepare_database(app)
    app.run(host="0.0.0.0", port=int(os.environ.get("FLASK_RUN_PORT", "5000")))
