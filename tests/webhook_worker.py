"""Start the webhook delivery worker as its own process, as `make run` does."""

import subprocess
import sys
from pathlib import Path

from tests.live import ROOT, server_env, terminate


def start_worker(data_dir: Path, name: str = "worker", **env: str) -> subprocess.Popen[bytes]:
    """`python -m api.webhooks.worker` with the live server's environment plus `env`."""
    with open(data_dir / f"{name}.log", "ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "api.webhooks.worker"],
            cwd=ROOT,
            env=server_env(data_dir, **env),
            stdout=log,
            stderr=log,
            start_new_session=True,
        )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, as a deployment stops it (the worker finishes the delivery in hand)."""
    terminate(process)
