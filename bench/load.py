"""``python -m bench.load`` (``make bench-load``): 8 clients against ``threadsearch serve``.

Builds (or reuses) an index of R-help files, starts ``threadsearch serve`` (gunicorn,
as ``make serve`` does) on a loopback port, and has ``--clients`` threads send a mix of
queries (words, phrases, facets, filters, sorts, pages) for ``--seconds``: requests per
second, p50 and p99 latency, errors. Then the same for as long as ``threadsearch ingest``
adds more R-help files to the index (batched commits), and a check of what the readers
saw: each answer names its generation (the ETag), every answer to the same query from
one generation has the same total, facet counts add up to the total, no client sees a
generation older than one it saw before, and the last round sees the final commit.

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
from collections.abc import Callable
from pathlib import Path
from typing import Any

RHELP = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bulk" / "r-help"
CLI = [sys.executable, "-c", "from threadsearch.api.cli import main; main()"]
EVERYTHING = "/search?q=&facet=year&facet=kind"
QUERIES = [
    "/search?q=regression",
    "/search?q=%22data+frame%22",
    "/search?q=plot+legend&facet=kind",
    "/search?q=lm&sort=newest",
    EVERYTHING,
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


def hammer(port: int, clients: int, until: Callable[[], bool], every: float = 0) -> dict[str, Any]:
    """Each client sends the query mix in turn until ``until()``, then one more round;
    with ``every``, the figures so far are printed every ``every`` seconds."""
    latencies: list[float] = []
    answers: list[tuple[int, int, str, int]] = []  # client, generation, query, total
    problems: list[str] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        turn, last_round = number, False
        while not last_round:
            last_round = until()
            for _ in QUERIES:
                query = QUERIES[turn % len(QUERIES)]
                turn += 1
                start = time.perf_counter()
                connection.request("GET", query)
                response = connection.getresponse()
                body = json.loads(response.read())
                took = time.perf_counter() - start
                with lock:
                    latencies.append(took)
                    problem = _problem(query, response, body)
                    if problem:
                        problems.append(problem)
                    else:
                        etag = response.getheader("ETag", "")
                        generation = int(etag.removeprefix('W/"').split("-")[0])
                        answers.append((number, generation, query, body["total"]))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    while every and any(thread.is_alive() for thread in threads):
        threads[0].join(every)
        with lock:
            so_far = _figures(latencies, answers, problems, clients, time.monotonic() - start)
        show(f"  so far ({so_far['seconds']:.0f} s)", so_far)
    for thread in threads:
        thread.join()
    return _figures(latencies, answers, problems, clients, time.monotonic() - start)


def _figures(
    latencies: list[float],
    answers: list[tuple[int, int, str, int]],
    problems: list[str],
    clients: int,
    elapsed: float,
) -> dict[str, Any]:
    ordered = sorted(latencies)
    generations = _totals_by_generation(answers)
    return {
        "requests": len(ordered),
        "seconds": elapsed,
        "per_second": len(ordered) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
        "p99_ms": ordered[int(0.99 * (len(ordered) - 1))] * 1000 if ordered else 0.0,
        "errors": len(problems),
        "problems": problems[:5] + _inconsistencies(answers, clients),
        "generations": generations,
        "last": [max((g for c, g, _, _ in answers if c == n), default=-1) for n in range(clients)],
    }


def _problem(query: str, response: http.client.HTTPResponse, body: Any) -> str:
    """Why one answer is wrong ('' when it is right): a status, a facet that does not add up."""
    if response.status != 200:
        return f"{query}: {response.status} {body}"
    if not response.getheader("ETag", "").startswith('W/"'):
        return f"{query}: no generation ETag"
    if "facet=kind" in query:
        kinds = body["facets"].get("kind", {}).get("values", [])  # none without hits
        if sum(kind["count"] for kind in kinds) != body["total"]:
            return f"{query}: kind facet adds to {sum(k['count'] for k in kinds)}, total {body}"
    return ""


def _totals_by_generation(answers: list[tuple[int, int, str, int]]) -> dict[int, int]:
    """The whole index's entry count per generation the readers saw."""
    return {g: total for _, g, query, total in sorted(answers) if query == EVERYTHING}


def _inconsistencies(answers: list[tuple[int, int, str, int]], clients: int) -> list[str]:
    """Answers not from one committed generation: two totals for one query and generation,
    or a client seeing an older generation after a newer one."""
    found: list[str] = []
    totals: dict[tuple[int, str], set[int]] = {}
    for _, generation, query, total in answers:
        totals.setdefault((generation, query), set()).add(total)
    found += [f"generation {g}, {q}: totals {t}" for (g, q), t in totals.items() if len(t) > 1]
    for number in range(clients):
        seen = [g for c, g, _, _ in answers if c == number]  # in the client's order
        if seen != sorted(seen):
            found.append(f"client {number} saw an older generation after a newer one")
    return found


def show(label: str, row: dict[str, Any]) -> None:
    seen = row["generations"]
    print(
        f"{label:24} {row['requests']:6d} requests  {row['per_second']:7.1f}/s  "
        f"p50 {row['p50_ms']:7.1f} ms  p99 {row['p99_ms']:7.1f} ms  errors {row['errors']}  "
        f"problems {len(row['problems'])}  generations {sorted(seen)} "
        f"totals {[seen[g] for g in sorted(seen)]}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rhelp", type=Path, default=RHELP)
    parser.add_argument("--glob", default="r-help-1999-*", help="Files of the served index.")
    parser.add_argument("--more", default="r-help-2000-0[1-3]*", help="Files ingested during.")
    parser.add_argument("--index", type=Path, help="Reuse (or build) the index here.")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30, help="Of queries alone.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--batch-entries", type=int, default=2000, help="Of the ingest during.")
    parser.add_argument("--every", type=float, default=60, help="Seconds between reports.")
    args = parser.parse_args(argv)
    index = args.index or Path(tempfile.mkdtemp(prefix="bench-load-")) / "index"
    files = sorted(args.rhelp.glob(args.glob))
    ingest = [*CLI, "ingest", "--index", str(index), "--quiet", "--json"]
    start = time.monotonic()
    built = json.loads(
        subprocess.run(
            [*ingest, *map(str, files)], capture_output=True, check=True, text=True
        ).stdout
    )
    print(
        f"index: {len(files)} R-help files ({args.glob}), {built['entries']} entries new "
        f"this run ({time.monotonic() - start:.0f} s); {args.clients} clients, "
        f"{args.workers} gunicorn workers",
        flush=True,
    )
    server, port = serve(index, args.workers)
    try:
        stop = time.monotonic() + args.seconds
        alone = hammer(port, args.clients, lambda: time.monotonic() >= stop)
        show("queries alone", alone)
        more = sorted(args.rhelp.glob(args.more))
        batches = ["--batch-entries", str(args.batch_entries)]
        writer = subprocess.Popen(
            [*ingest, *batches, *map(str, more)], stdout=subprocess.PIPE, text=True
        )
        during = hammer(port, args.clients, lambda: writer.poll() is not None, args.every)
        added = json.loads(writer.communicate()[0])
        show(f"during an ingest ({len(more)} files)", during)
        report_ingest(added, during, alone)
    finally:
        server.terminate()
        server.wait()


def report_ingest(added: dict[str, Any], during: dict[str, Any], alone: dict[str, Any]) -> None:
    """The ingest's size and time, the commits the readers saw and whether they hold."""
    before = max(alone["generations"].values())
    seen = during["generations"]
    final = max(seen)
    print(
        f"ingest: {added['entries']} entries from {added['files']} files in "
        f"{during['seconds']:.0f} s; readers saw {len(seen)} generations "
        f"{min(seen)}..{final}, totals {list(seen.values())}"
    )
    checks = {
        "0 errors": during["errors"] == alone["errors"] == 0,
        "each answer from one committed generation": not during["problems"] + alone["problems"],
        f"every client's last round saw the last generation ({final})": (
            set(during["last"]) == {final}
        ),
        f"the final total {seen[final]} is {before} served + {added['entries']} ingested": (
            seen[final] == before + added["entries"]
        ),
        "totals grow with generations": list(seen.values()) == sorted(seen.values()),
    }
    for name, held in checks.items():
        print(f"  {'ok' if held else 'FAILED'}: {name}", flush=True)
    for problem in during["problems"] + alone["problems"]:
        print(f"  {problem}", flush=True)
    if not all(checks.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
