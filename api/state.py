"""The open index of this app: opened on first use in each worker, kept for its life."""

from __future__ import annotations

import threading

from flask import current_app
from threadsearch.index import ThreadIndex, open_index

_LOCK = threading.Lock()


def get_index() -> ThreadIndex:
    """The app's index, opened once per process (after a server forks its workers)."""
    extensions = current_app.extensions
    index: ThreadIndex | None = extensions.get("threadsearch")
    if index is None:
        with _LOCK:
            index = extensions.get("threadsearch")
            if index is None:
                index = open_index(current_app.config["INDEX"])
                extensions["threadsearch"] = index
    return index
