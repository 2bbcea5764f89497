"""Give host-less threads the host another source of the same run knows.

A static mirror's comment feed may link ``/2017/02/23/post/`` with no host anywhere in
the file, while the saved page of the same post, or the site-wide feed, names the host.
Threads keyed by a bare path would then never meet their twin. Ingest holds such
threads back until every other file has been read, then re-keys each one whose path
matches exactly one absolute URL seen in the run (ids are derived from the URL, so the
thread id and every entry id change together). ``--base-url`` does the same up front.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from .model import Thread, canonical_url, entry_id_for, thread_id_for


def is_hostless(thread: Thread) -> bool:
    return bool(thread.url) and not urlsplit(thread.url or "").netloc


def path_key(url: str) -> str:
    return urlsplit(canonical_url(url)).path


class HostResolver:
    """Remembers absolute thread URLs by path; re-keys host-less threads to match."""

    def __init__(self) -> None:
        self._by_path: dict[str, set[str]] = {}

    def remember(self, thread: Thread) -> None:
        if thread.url and not is_hostless(thread):
            self._by_path.setdefault(path_key(thread.url), set()).add(thread.url)

    def resolve(self, thread: Thread) -> bool:
        """Re-key ``thread`` onto the one absolute URL with its path; False if none."""
        candidates = self._by_path.get(path_key(thread.url or ""), set())
        if len({canonical_url(url) for url in candidates}) != 1:
            return False
        rekey(thread, next(iter(candidates)))
        return True


def rekey(thread: Thread, url: str) -> None:
    """Move a thread and its entries to the ids its absolute ``url`` gives."""
    old_prefix = f"{thread.id}-"
    new_id = thread_id_for(canonical_url(url))

    def moved(entry_id: str | None) -> str | None:
        if entry_id is None or not entry_id.startswith(old_prefix):
            return entry_id
        return entry_id_for(new_id, entry_id[len(old_prefix) :])

    for entry in thread.entries:
        entry.id = moved(entry.id) or entry.id
        entry.parent_id = moved(entry.parent_id)
        entry.thread_id = new_id
        if entry.url and not urlsplit(entry.url).netloc:
            entry.url = urljoin(url, entry.url)
    thread.id = new_id
    thread.url = url
    thread.site = thread.site or urlsplit(url).hostname
