"""Start and stop a development OpenSearch cluster on loopback, one JVM per node.

For development and tests only: production runs the official OpenSearch distribution, which the
``opensearch`` backend talks to unchanged. The node itself is ``NodeMain.java`` beside this file,
built with Maven (the jars come from Maven Central into ``~/.m2`` once, then work offline).

``python -m cluster.launch up`` starts three nodes, waits until the cluster is green and prints
the HTTP addresses; ``python -m cluster.launch down`` stops them. ``make cluster-up`` and
``make cluster-down`` call these, and the test fixtures use :class:`DevCluster` directly.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLASSPATH_FILE = HERE / "target" / "classpath.txt"
CLASSES_DIR = HERE / "target" / "classes"
SOURCES = [
    HERE / "pom.xml",
    HERE / "src" / "main" / "java" / "threadsearch" / "cluster" / "NodeMain.java",
]
DEFAULT_WORKDIR = HERE / "run"

# Lean flags: the machine is small and shared. Serial GC, the C1 compiler only and one
# processor keep each node to a few threads; 384 MB of heap holds the test corpora.
JVM_FLAGS = [
    "-Xms128m",
    "-Xmx384m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xss512k",
    "-XX:ActiveProcessorCount=1",
    "-Djava.net.preferIPv4Stack=true",
]


def throughput_flags(processors: int) -> list[str]:
    """Flags for timing the engine (``make bench``): the full JIT, 512 MB of heap and G1
    set as the official distribution's ``jvm.options`` sets it (collecting early, so the
    real-memory circuit breaker does not refuse bulk writes over garbage), with the
    node's share of the machine's cores."""
    return [
        "-Xms512m",
        "-Xmx512m",
        "-XX:+UseG1GC",
        "-XX:G1ReservePercent=25",
        "-XX:InitiatingHeapOccupancyPercent=30",
        "-Xss512k",
        f"-XX:ActiveProcessorCount={processors}",
        "-Djava.net.preferIPv4Stack=true",
    ]


#: The node processes this process started, by pid, so that they are waited for.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class ClusterError(RuntimeError):
    """The launcher could not build, start or reach the cluster."""


def tools_missing() -> str | None:
    """Say which of Java and Maven is missing, or None when both are on PATH."""
    missing = [name for name in ("java", "mvn") if shutil.which(name) is None]
    if missing:
        return (
            f"{' and '.join(missing)} not on PATH (the OpenSearch launcher needs Java 17 and Maven)"
        )
    return None


def build() -> str:
    """Compile the launcher if its sources changed; return the Java class path."""
    stamp = CLASSPATH_FILE.stat().st_mtime if CLASSPATH_FILE.exists() else 0.0
    if stamp < max(path.stat().st_mtime for path in SOURCES):
        result = subprocess.run(
            ["mvn", "-q", "-B", "-f", str(HERE / "pom.xml"), "compile"],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise ClusterError(f"mvn compile failed in {HERE}:\n{result.stdout}{result.stderr}")
    return f"{CLASSES_DIR}{os.pathsep}{CLASSPATH_FILE.read_text().strip()}"


def free_ports(count: int) -> list[int]:
    """Ask the kernel for ``count`` ports that are free right now."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class Node:
    """One node: its name, ports, folder and, while it runs, its process."""

    name: str
    http_port: int
    transport_port: int
    home: Path
    pid: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


@dataclass
class DevCluster:
    """A loopback cluster of ``len(nodes)`` nodes living under ``workdir``."""

    workdir: Path
    nodes: list[Node] = field(default_factory=list)
    name: str = "threadsearch-dev"
    #: Processors each node uses, and its JVM's flags (lean unless timed).
    processors: int = 1
    jvm_flags: list[str] = field(default_factory=lambda: list(JVM_FLAGS))

    @classmethod
    def create(
        cls, workdir: Path, size: int = 3, base_port: int | None = None, *, timed: bool = False
    ) -> DevCluster:
        """Lay out ``size`` nodes; ports from ``base_port`` (HTTP) and ``base_port+100``.

        ``timed`` gives each node the flags for timing it (:func:`throughput_flags`)
        and an equal share of this machine's cores, at least one."""
        if base_port is None:
            ports = free_ports(2 * size)
            http, transport = ports[:size], ports[size:]
        else:
            http = [base_port + i for i in range(size)]
            transport = [base_port + 100 + i for i in range(size)]
        nodes = [
            Node(f"node-{i}", http[i], transport[i], workdir / f"node-{i}") for i in range(size)
        ]
        if not timed:
            return cls(workdir=workdir, nodes=nodes)
        processors = max(1, (os.cpu_count() or 1) // size)
        return cls(workdir, nodes, processors=processors, jvm_flags=throughput_flags(processors))

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def settings(self, node: Node) -> list[str]:
        seeds = ",".join(f"127.0.0.1:{other.transport_port}" for other in self.nodes)
        masters = ",".join(other.name for other in self.nodes)
        return [
            f"path.home={node.home}",
            f"node.name={node.name}",
            f"cluster.name={self.name}",
            "network.host=127.0.0.1",
            f"http.port={node.http_port}",
            f"transport.port={node.transport_port}",
            f"discovery.seed_hosts={seeds}",
            f"cluster.initial_cluster_manager_nodes={masters}",
            f"node.processors={self.processors}",
            # The disk is shared with other work: watermarks would block allocation at random.
            "cluster.routing.allocation.disk.threshold_enabled=false",
        ]

    def start_node(self, node: Node, classpath: str) -> None:
        """Start one node's JVM in its own session, its output in ``<home>.log``."""
        node.home.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / f"{node.name}.log", "ab")  # the child process owns it
        process = subprocess.Popen(
            [
                "java",
                *self.jvm_flags,
                "-cp",
                classpath,
                "threadsearch.cluster.NodeMain",
                *self.settings(node),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        _CHILDREN[process.pid] = process
        node.pid = process.pid
        self.save()

    def start(self, timeout: float = 240.0) -> None:
        """Build if needed, start every node, and wait for a green cluster."""
        classpath = build()
        self.workdir.mkdir(parents=True, exist_ok=True)
        for node in self.nodes:
            self.start_node(node, classpath)
        self.wait_for("green", timeout=timeout)

    def restart_node(self, index: int, timeout: float = 240.0) -> None:
        """Start a stopped node again, with its data, and wait for green."""
        self.start_node(self.nodes[index], build())
        self.wait_for("green", nodes=len(self.nodes), timeout=timeout)

    def kill_node(self, index: int) -> None:
        """SIGKILL one node: a crash, no goodbye to the cluster."""
        node = self.nodes[index]
        if node.pid is not None:
            _signal(node.pid, signal.SIGKILL)
            _reap(node.pid, 30.0)
            node.pid = None
            self.save()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop every node (SIGTERM, then SIGKILL after ``timeout``)."""
        for node in self.nodes:
            if node.pid is not None:
                _signal(node.pid, signal.SIGTERM)
        for node in self.nodes:
            if node.pid is not None and not _reap(node.pid, timeout):
                _signal(node.pid, signal.SIGKILL)
                _reap(node.pid, 10.0)
            node.pid = None
        self.save()

    def health(
        self,
        status: str = "green",
        nodes: int | None = None,
        wait: str = "1s",
        index: str = "",
    ) -> dict[str, object]:
        """Ask any live node for the health of the cluster (or of ``index`` alone),
        waiting up to ``wait`` on its side."""
        want = nodes if nodes is not None else sum(1 for n in self.nodes if n.pid is not None)
        query = f"{index}?wait_for_status={status}&wait_for_nodes={want}&timeout={wait}"
        last: Exception | None = None
        for node in self.nodes:
            if node.pid is None:
                continue
            try:
                with urllib.request.urlopen(f"{node.url}/_cluster/health/{query}", timeout=30) as r:
                    return dict(json.load(r))
            except urllib.error.HTTPError as exc:  # 408 when the wait timed out
                return dict(json.load(exc))
            except OSError as exc:
                last = exc
        raise ClusterError(f"no node answers: {last}")

    def wait_for(
        self, status: str, nodes: int | None = None, timeout: float = 240.0, index: str = ""
    ) -> None:
        """Block until the cluster (or ``index``) is ``status`` with all live nodes joined."""
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            try:
                health = self.health(status, nodes, wait="5s", index=index)
                if not health.get("timed_out") and "status" in health:
                    return
            except ClusterError:
                pass
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"cluster not {status} after {timeout:.0f}s; logs in {self.workdir}"
                )
            time.sleep(1.0)

    def _check_alive(self) -> None:
        for node in self.nodes:
            if node.pid is not None and not _running(node.pid):
                log = (self.workdir / f"{node.name}.log").read_text(errors="replace")[-3000:]
                raise ClusterError(f"{node.name} exited during start:\n{log}")

    def save(self) -> None:
        state = {
            "name": self.name,
            "processors": self.processors,
            "jvm_flags": self.jvm_flags,
            "nodes": [
                {
                    "name": n.name,
                    "http_port": n.http_port,
                    "transport_port": n.transport_port,
                    "home": str(n.home),
                    "pid": n.pid,
                }
                for n in self.nodes
            ],
        }
        (self.workdir / "cluster.json").write_text(json.dumps(state, indent=2))

    @classmethod
    def load(cls, workdir: Path) -> DevCluster:
        state = json.loads((workdir / "cluster.json").read_text())
        nodes = [
            Node(n["name"], n["http_port"], n["transport_port"], Path(n["home"]), n["pid"])
            for n in state["nodes"]
        ]
        return cls(
            workdir,
            nodes,
            state["name"],
            state.get("processors", 1),
            state.get("jvm_flags", list(JVM_FLAGS)),
        )


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _running(pid: int) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        del _CHILDREN[pid]
        return False
    try:  # started by another process (make cluster-up): probe it
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _reap(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cluster.launch", description=__doc__)
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--port", type=int, default=9200, help="first HTTP port (default 9200)")
    args = parser.parse_args(argv)
    missing = tools_missing()
    if missing:
        print(f"cluster: {missing}", file=sys.stderr)
        return 2
    try:
        if args.action == "up":
            if (args.workdir / "cluster.json").exists():
                DevCluster.load(args.workdir).stop()
            cluster = DevCluster.create(args.workdir, args.nodes, args.port)
            cluster.start()
            print(",".join(cluster.urls))
        elif args.action == "down":
            if (args.workdir / "cluster.json").exists():
                DevCluster.load(args.workdir).stop()
        else:
            print(json.dumps(DevCluster.load(args.workdir).health(), indent=2))
    except ClusterError as exc:
        print(f"cluster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
