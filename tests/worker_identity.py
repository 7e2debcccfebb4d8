"""``[core] hostname_callable`` for the distributed test: each Celery worker reports the name of the
"host" it stands for (``RUN_TEST_WORKER``), so the test can tell which worker ran which task."""

import os
import socket


def name() -> str:
    return os.environ.get("RUN_TEST_WORKER") or socket.getfqdn()
