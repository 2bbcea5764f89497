"""``python -m bench.load`` (``make bench-load``): 8 clients against ``threadsearch serve``.

Builds (or reuses) an index of R-help files, starts ``threadsearch serve`` (gunicorn,
as ``make serve`` does) on a loopback port, and has ``--clients`` threads send a mix of
queries (words, phrases, facets, filters, sorts, pages) for ``--seconds``: requests per
second, p50 and p99 latency, errors. Then the same while ``threadsearch ingest`` adds
more R-help files to the index (batched commits), and how many commits the readers saw.

    python -m bench.load --glob 'r-help-1999-*' --more 'r-help-2000-0[1-3]*'
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

RHELP = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bulk" / "r-help"
CLI = [sys.executable, "-c", "from threadsearch.api.cli import main; main()"]
QUERIES = [
    "/search?q=regression",
    "/search?q=%22data+frame%22",
    "/search?q=plot+legend&facet=kind",
    "/search?q=lm&sort=newest",
    "/search?q=&facet=year&facet=kind",
    "/search?q=matrix&page=3",
    "/search?q=error+message&since=1999-06-01&until=1999-12-31",
    "/search?q=ripley",
    "/search?q=apply*",
    "/search?q=install+package&facet=author",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(index: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [*CLI, "serve", "--index", str(index), "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.1)


def hammer(port: int, clients: int, seconds: float) -> dict[str, Any]:
    """Each client sends the query mix in turn until the time is up."""
    latencies: list[float] = []
    totals: set[int] = set()
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        turn = number
        while time.monotonic() < stop:
            query = QUERIES[turn % len(QUERIES)]
            turn += 1
            start = time.perf_counter()
            connection.request("GET", query)
            response = connection.getresponse()
            body = json.loads(response.read())
            took = time.perf_counter() - start
            with lock:
                latencies.append(took)
                if response.status != 200:
                    errors[0] += 1
                elif query.startswith("/search?q=&"):
                    totals.add(body["total"])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "per_second": len(ordered) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(0.99 * (len(ordered) - 1))] * 1000,
        "errors": errors[0],
        "totals_seen": sorted(totals),
    }


def show(label: str, row: dict[str, Any]) -> None:
    print(
        f"{label:24} {row['requests']:6d} requests  {row['per_second']:7.1f}/s  "
        f"p50 {row['p50_ms']:7.1f} ms  p99 {row['p99_ms']:7.1f} ms  errors {row['errors']}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rhelp", type=Path, default=RHELP)
    parser.add_argument("--glob", default="r-help-1999-*", help="Files of the served index.")
    parser.add_argument("--more", default="r-help-2000-0[1-3]*", help="Files ingested during.")
    parser.add_argument("--index", type=Path, help="Reuse (or build) the index here.")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    index = args.index or Path(tempfile.mkdtemp(prefix="bench-load-")) / "index"
    files = sorted(args.rhelp.glob(args.glob))
    ingest = [*CLI, "ingest", "--index", str(index), "--quiet", "--json"]
    built = json.loads(
        subprocess.run(
            [*ingest, *map(str, files)], capture_output=True, check=True, text=True
        ).stdout
    )
    print(
        f"index: {len(files)} R-help files ({args.glob}), {built['entries'] + 0} entries "
        f"new this run; {args.clients} clients, {args.workers} gunicorn workers"
    )
    server, port = serve(index, args.workers)
    try:
        show("queries alone", hammer(port, args.clients, args.seconds))
        more = sorted(args.rhelp.glob(args.more))
        writer = subprocess.Popen(
            [*ingest, "--batch-entries", "2000", *map(str, more)], stdout=subprocess.PIPE, text=True
        )
        during = hammer(port, args.clients, args.seconds)
        show(f"during an ingest ({len(more)} files)", during)
        print(f"totals the readers saw (one per commit): {during['totals_seen']}")
        writer.communicate()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
