"""The open index (or cluster client) of this app: opened on first use in each worker."""

from __future__ import annotations

import os
import threading

from flask import current_app
from threadsearch.backend import Backend, WhooshBackend, open_backend
from threadsearch.index import ThreadIndex, open_index

_LOCK = threading.Lock()


def _new_lock_in_child() -> None:
    # A thread of the parent may have held the lock at the fork; the child's is free.
    global _LOCK
    _LOCK = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


def get_index() -> ThreadIndex:
    """The app's index, opened once per process (after a server forks its workers).

    An index the app opened before a fork belongs to the parent: a worker opens its own.
    """
    extensions = current_app.extensions
    index: ThreadIndex | None = extensions.get("threadsearch")
    if index is None or index.pid != os.getpid():
        with _LOCK:
            index = extensions.get("threadsearch")
            if index is None or index.pid != os.getpid():
                index = open_index(current_app.config["INDEX"])
                extensions["threadsearch"] = index
    return index


def get_backend() -> Backend:
    """The backend the settings name: the app's Whoosh index (default), or a cluster.

    ``BACKEND=opensearch`` serves from the cluster at ``OPENSEARCH_URL`` (one or more
    addresses, comma-separated); the client is made once per process.
    """
    config = current_app.config
    if config.get("BACKEND", "whoosh") == "whoosh":
        return WhooshBackend(get_index())
    extensions = current_app.extensions
    backend: Backend | None = extensions.get("threadsearch-backend")
    if backend is None or extensions.get("threadsearch-backend-pid") != os.getpid():
        with _LOCK:
            backend = open_backend(
                config["BACKEND"],
                opensearch_url=config.get("OPENSEARCH_URL"),
                opensearch_index=config.get("OPENSEARCH_INDEX"),
            )
            extensions["threadsearch-backend"] = backend
            extensions["threadsearch-backend-pid"] = os.getpid()
    return backend
