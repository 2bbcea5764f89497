"""The production server: gunicorn with worker processes, configured in code.

Each worker opens the index on its first request and shares it between its threads
(``--threads``, gunicorn's ``gthread`` worker): every request reads the newest
committed generation, so new data is served without a restart (see
:mod:`threadsearch.index` for what a thread may do while another writes).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


class Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


def serve(app: Flask, host: str, port: int, workers: int, threads: int = 1) -> None:
    """Serve ``app`` until interrupted: ``workers`` processes of ``threads`` threads."""
    raise_file_limit()
    Server(
        app,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            # One thread: the plain synchronous worker; more: a thread pool per process.
            "worker_class": "gthread" if threads > 1 else "sync",
            "threads": threads,
            # The app writes its own JSON access log (api/manners.py).
            "accesslog": None,
            "timeout": 60,
            "graceful_timeout": 5,
        },
    ).run()


def raise_file_limit() -> None:
    """Raise this process's soft limit of open files to its hard limit (best effort).

    Each thread's read holds every segment file of the index open (see
    :mod:`threadsearch.index`); the common soft limit of 1,024 is reached by 8
    threads over some 15 segments. Workers inherit the limit.
    """
    try:
        import resource
    except ImportError:  # not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(soft, 1 << 16) if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError):
            return
