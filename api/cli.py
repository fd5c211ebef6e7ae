"""`flask --app app <command>`: operational commands."""

import json
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask_migrate import upgrade

from api.core import connection_budget
from api.core.config import ROOT


def prepare_database(app: Flask, *, workers: int = 1, threads: int = 1) -> None:
    """Upgrade the schema to the latest migration and make sure the default admin exists.

    `workers` and `threads` are the server's (gunicorn's master passes its own), for the
    connection-budget check.
    """
    from api.services.auth import ensure_admin

    with app.app_context():
        wait_for_database(app, app.config["DB_STARTUP_WAIT"])
        upgrade(directory=str(ROOT / "migrations"))
        check_connection_budget(app, workers=workers, threads=threads)
        config = app.config
        created = ensure_admin(
            username=config["ADMIN_USERNAME"],
            email=config["ADMIN_EMAIL"],
            password=config["ADMIN_PASSWORD"],
            rounds=config["BCRYPT_ROUNDS"],
            # Only development's seed default may be weak; production refuses it.
            enforce_policy=config["APP_ENV"] == "production",
        )
        if created:
            app.logger.info("Created default admin %r", config["ADMIN_USERNAME"])
        from models import db

        db.engine.dispose()  # never hand pooled connections to forked workers


def wait_for_database(app: Flask, seconds: float) -> None:
    """Start once the database answers: a server started beside its database (a container
    platform, a reboot) waits for it, saying so in one line per try, instead of dying with a
    traceback; after `seconds` it gives up with one line (exit status 1)."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from models import db

    deadline = time.monotonic() + seconds
    while True:
        try:
            with db.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            if time.monotonic() >= deadline:
                message = f"The database is unreachable after {seconds:g} s: {reason}"
                raise SystemExit(message) from None
            app.logger.warning("The database is unreachable (%s); trying again in 2 s", reason)
            db.engine.dispose()
            time.sleep(2)


def check_connection_budget(app: Flask, *, workers: int, threads: int) -> None:
    """Warn at start when this instance alone could exhaust PostgreSQL's connections."""
    from models import db

    config = app.config
    if db.engine.dialect.name != "postgresql" or config["DATABASE_POOLER"] != "none":
        return
    with db.engine.connect() as connection:
        budget = connection_budget.measure(
            connection,
            workers=workers,
            threads=threads,
            pool_size=config["DB_POOL_SIZE"],
            max_overflow=config["DB_MAX_OVERFLOW"],
        )
    if budget.exceeded:
        app.logger.warning(budget.warning())


def register_cli(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db() -> None:
        """Upgrade the database to the latest migration and create the default admin."""
        from api.services.auth import AdminPasswordRefused

        try:
            # The object behind Flask's proxy (a LocalProxy method, absent from Flask's types).
            prepare_database(current_app._get_current_object())  # type: ignore[attr-defined]
        except AdminPasswordRefused as error:
            raise click.ClickException(str(error)) from None
        click.echo("Database ready.")

    @app.cli.command("create-admin")
    @click.option("--username", default=None, help="Default: ADMIN_USERNAME")
    @click.option("--email", default=None, help="Default: ADMIN_EMAIL")
    @click.option("--password", default=None, help="Default: ADMIN_PASSWORD")
    def create_admin(username: str | None, email: str | None, password: str | None) -> None:
        """Create an administrator if no user has that username."""
        from api.services.auth import AdminPasswordRefused, ensure_admin

        config = current_app.config
        name = username or config["ADMIN_USERNAME"]
        try:
            created = ensure_admin(
                username=name,
                email=email or config["ADMIN_EMAIL"],
                password=password or config["ADMIN_PASSWORD"],
                rounds=config["BCRYPT_ROUNDS"],
                # A password typed here always meets the policy; the seed default only in dev.
                enforce_policy=bool(password) or config["APP_ENV"] == "production",
            )
        except AdminPasswordRefused as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Created admin {name!r}." if created else f"User {name!r} already exists.")

    @app.cli.command("export-openapi")
    @click.option("--output", "-o", default=str(ROOT / "openapi.json"), show_default=True)
    def export_openapi(output: str) -> None:
        """Write the OpenAPI 3 document the server serves at /api/openapi.json."""
        with current_app.test_client() as client:
            response = client.get("/api/openapi.json")
        if response.status_code != 200:
            raise click.ClickException(f"/api/openapi.json answered {response.status_code}")
        Path(output).write_text(response.get_data(as_text=True))
        paths = json.loads(response.get_data())["paths"]
        click.echo(f"Wrote {output} ({len(paths)} paths).")

    @app.cli.command("seed")
    @click.option("--items", "item_count", default=1000, show_default=True, type=click.IntRange(0))
    @click.option("--users", "user_count", default=10, show_default=True, type=click.IntRange(1))
    @click.option("--batch", default=10_000, show_default=True, type=click.IntRange(1))
    def seed_command(item_count: int, user_count: int, batch: int) -> None:
        """Create demo users (demo1.., password demo-password) and items, in bulk."""
        from api.core.db_watchdog import unwatched
        from api.services.seed import seed

        # Unwatched like migrations: a batch's commit (its triggers fill the search tables)
        # outlived the 25 s cut meant for requests, and `seed` failed on PostgreSQL.
        with unwatched(), click.progressbar(length=item_count, label="Seeding items") as bar:
            result = seed(
                items=item_count,
                users=user_count,
                rounds=current_app.config["BCRYPT_ROUNDS"],
                batch=batch,
                progress=bar.update,
            )
        click.echo(f"Seeded {result['items']} items for {result['users']} demo users.")

    @app.cli.command("purge-uploads")
    @click.option(
        "--grace-minutes",
        default=60,
        show_default=True,
        type=click.IntRange(0),
        help="Leave anything younger alone (longer than any upload request takes)",
    )
    @click.option("--dry-run", is_flag=True, help="Report what would be removed; remove nothing")
    def purge_uploads(grace_minutes: int, dry_run: bool) -> None:
        """Reconcile uploads with the store: remove orphan objects and rows (see README)."""
        from datetime import timedelta

        from api.services.upload_purge import purge
        from api.storage import StorageUnavailable, storage

        try:
            report = purge(
                backend=storage(), grace=timedelta(minutes=grace_minutes), dry_run=dry_run
            )
        except StorageUnavailable as exc:
            raise click.ClickException(
                f"storage unavailable ({exc}); stopped before removing anything unverified"
            ) from None
        verb = "Would remove" if dry_run else "Removed"
        click.echo(
            f"{verb} {report.unfinished_deletions} interrupted deletions, "
            f"{report.objects_without_row} objects without a row, "
            f"{report.rows_without_object} rows without an object, "
            f"{report.partial_writes} unfinished multipart uploads."
        )

    @app.cli.command("purge-revoked-tokens")
    def purge_revoked_tokens() -> None:
        """Forget expired revocations and refresh tokens, and day-old idempotency keys."""
        from api.http.idempotency import purge_expired
        from api.services.auth import purge_expired_tokens
        from api.services.password_reset import purge

        tokens, keys = purge_expired_tokens() + purge(), purge_expired()
        click.echo(f"Purged {tokens} expired token records and {keys} idempotency keys.")

    @app.cli.command("deliver-mail")
    @click.option("--watch", type=click.FloatRange(min=1), help="Keep running; poll every N s")
    def deliver_mail(watch: float | None) -> None:
        """Send (and retry) the mail waiting in the outbox, e.g. after an SMTP outage."""
        import time

        from api.services import password_reset

        settings = password_reset.settings_from(current_app.config)
        while True:
            report = password_reset.deliver_due(settings, limit=1000)
            click.echo(f"Outbox: {report.outcomes or 'nothing due'}")
            if watch is None:
                return
            time.sleep(watch)
