"""A node dies while clients search: the API answers every query, no document is lost.

The index has 3 shards and 1 replica on the live 3-node cluster. The HTTP API (gunicorn,
``BACKEND=opensearch`` with all three node addresses) serves 8 client threads; one node's
JVM is killed (SIGKILL, no goodbye) while they query. The API retries a node error on the
other nodes, so no client sees a failure; the cluster goes yellow (replicas promoted) and,
once the node is started again, green.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from threadsearch.export import iter_index_fields
from threadsearch.index import open_index

from tests.conftest import running_server

if TYPE_CHECKING:
    from threadsearch.opensearch import OpenSearchBackend

    from cluster.launch import DevCluster

CLIENTS = 8
ALIAS = "fault"
QUERIES = [
    "/search?q=refugee&facet=kind",
    "/search?q=&facet=day",
    "/search?q=korea&collapse=thread",
]


class Clients:
    """``CLIENTS`` threads querying the API in a loop until told to stop."""

    def __init__(self, base: str) -> None:
        self.address = urlsplit(base)
        self.counts = [0] * CLIENTS
        self.failures: list[str] = []
        self.totals: dict[str, set[int]] = {q: set() for q in QUERIES}
        self.changed = threading.Condition()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(CLIENTS)]

    def run(self, number: int) -> None:
        connection = http.client.HTTPConnection(
            self.address.hostname, self.address.port, timeout=120
        )
        step = number
        while not self.stopping.is_set():
            path = QUERIES[step % len(QUERIES)]
            step += 1
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                if response.status != 200:
                    self.failures.append(f"{path}: {response.status} {body[:300]!r}")
                else:
                    self.totals[path].add(json.loads(body)["total"])
            except OSError as exc:
                self.failures.append(f"{path}: {exc!r}")
                connection.close()
            with self.changed:
                self.counts[number] += 1
                self.changed.notify_all()
        connection.close()

    def wait_for_each(self, more: int) -> None:
        """Block until every client has made ``more`` further queries."""
        with self.changed:
            target = [count + more for count in self.counts]
            done = self.changed.wait_for(
                lambda: all(c >= t for c, t in zip(self.counts, target, strict=True)),
                timeout=300,
            )
        assert done, f"clients stalled at {self.counts}"

    def __enter__(self) -> Clients:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join()


@pytest.fixture
def fault_index(
    opensearch_cluster: DevCluster, seed_index_dir: Path
) -> Iterator[OpenSearchBackend]:
    from threadsearch.opensearch import OpenSearchBackend

    backend = OpenSearchBackend(opensearch_cluster.urls, alias=ALIAS)
    with open_index(seed_index_dir) as index:
        backend.copy_fields(iter_index_fields(index), shards=3, replicas=1)
    opensearch_cluster.wait_for("green", index=ALIAS)
    yield backend
    backend.drop()
    backend.close()


def _manager(cluster: DevCluster) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", cluster.nodes[0].http_port)
    try:
        connection.request("GET", "/_cat/cluster_manager?h=node")
        return connection.getresponse().read().decode().strip()
    finally:
        connection.close()


def test_opensearch_node_killed_while_8_clients_query(
    opensearch_cluster: DevCluster, fault_index: OpenSearchBackend, tmp_path: Path
) -> None:
    entries = fault_index.stats().entries
    assert entries == 27
    # A data node that is not the elected manager: losing the manager as well is a
    # separate election, not what this test is about.
    manager = _manager(opensearch_cluster)
    victim = next(i for i, n in enumerate(opensearch_cluster.nodes) if n.name != manager)
    env = {
        "THREADSEARCH_BACKEND": "opensearch",
        "THREADSEARCH_OPENSEARCH_URL": ",".join(opensearch_cluster.urls),
        "THREADSEARCH_OPENSEARCH_INDEX": ALIAS,
    }
    log = tmp_path / "server.log"
    options = ("--workers", "2", "--threads", "4")
    with running_server(tmp_path / "unused", log, *options, env=env) as base:
        with Clients(base) as clients:
            clients.wait_for_each(3)
            opensearch_cluster.kill_node(victim)
            # The cluster notices: two nodes, every shard of the index served by a
            # remaining copy (other tests' indices have no replicas and go red).
            opensearch_cluster.wait_for("yellow", nodes=2, index=ALIAS)
            clients.wait_for_each(5)
            assert fault_index.stats().entries == entries
            opensearch_cluster.restart_node(victim)
            clients.wait_for_each(3)
        assert clients.failures == [], clients.failures[:5]
        assert min(clients.counts) >= 11
    opensearch_cluster.wait_for("green", nodes=3)
    assert fault_index.stats().entries == entries
    # Every answer to the same query counted the same hits, before, during and after.
    assert {q: len(t) for q, t in clients.totals.items()} == {q: 1 for q in QUERIES}
