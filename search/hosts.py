"""Give host-less threads the host another source of the same run knows.

A static mirror's comment feed may link ``/2017/02/23/post/`` with no host anywhere in
the file, while the saved page of the same post, or the site-wide feed, names the host.
Threads keyed by a bare path would then never meet their twin. Ingest holds such
threads back until every other file has been read, then re-keys each one whose path
matches exactly one absolute URL seen in the run (ids are derived from the URL, so the
thread id and every entry id change together). ``--base-url`` does the same up front.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urljoin, urlsplit

from .model import Entry, Thread, canonical_url, entry_id_for, thread_id_for


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

    def resolve(self, thread: Thread) -> Thread | None:
        """``thread`` re-keyed onto the one absolute URL with its path; None if none."""
        candidates = self._by_path.get(path_key(thread.url or ""), set())
        if len({canonical_url(url) for url in candidates}) != 1:
            return None
        return rekey(thread, next(iter(candidates)))


def rekey(thread: Thread, url: str) -> Thread:
    """The thread and its entries moved to the ids its absolute ``url`` gives."""
    old_prefix = f"{thread.id}-"
    new_id = thread_id_for(canonical_url(url))

    def moved(entry_id: str | None) -> str | None:
        if entry_id is None or not entry_id.startswith(old_prefix):
            return entry_id
        return entry_id_for(new_id, entry_id[len(old_prefix) :])

    def moved_entry(entry: Entry) -> Entry:
        absolute = entry.url and not urlsplit(entry.url).netloc
        return replace(
            entry,
            id=moved(entry.id) or entry.id,
            parent_id=moved(entry.parent_id),
            thread_id=new_id,
            url=urljoin(url, entry.url) if absolute else entry.url,
        )

    return replace(
        thread,
        id=new_id,
        url=url,
        site=thread.site or urlsplit(url).hostname,
        entries=[moved_entry(entry) for entry in thread.entries],
    )
