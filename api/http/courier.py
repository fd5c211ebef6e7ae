"""The mail courier: one thread per process that drains the mail outbox (password-reset mail),
woken once a reset request's response is sent, so a slow or hung SMTP server holds that thread,
never a request's. It runs the services inside the app's context, so it lives beside the other
request plumbing rather than among the framework-free services."""

import os
import threading

from flask import Flask

from api.services import password_reset as reset_service


class Courier:
    """One thread per process drains the mail outbox, woken after each reset request. What it
    cannot send now (SMTP down or slow) stays due in the outbox and goes with a later wake-up
    or `flask deliver-mail`."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._apps: dict[int, Flask] = {}  # woken for, not yet served (one app in production)
        self._busy = False
        self._thread: threading.Thread | None = None
        self._pid = 0

    def wake(self, app: Flask) -> None:
        with self._lock:
            self._apps[id(app)] = app
            alive = self._thread is not None and self._thread.is_alive()
            if not alive or self._pid != os.getpid():  # none yet, or inherited over a fork
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="mail-courier", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()  # a wake-up during the deliveries runs the loop once more
            with self._lock:
                apps, self._apps, self._busy = list(self._apps.values()), {}, True
            for app in apps:
                with app.app_context():
                    try:
                        reset_service.deliver_due(reset_service.settings_from(app.config))
                    except Exception:  # a delivery problem must never end the courier
                        app.logger.exception("Mail delivery failed")
            with self._lock:
                self._busy = False
                self._settled.notify_all()

    def settle(self, timeout: float = 10) -> None:
        """Wait until every wake-up so far has been served (a test, before it drops its app)."""
        with self._settled:
            self._settled.wait_for(lambda: not (self._apps or self._busy), timeout)


COURIER = Courier()
