"""``python -m bench.abuse``: hostile queries against a real server, answers and times.

Starts ``threadsearch serve`` (2 workers) on an index, sends each hostile query
``--repeat`` times, and prints a Markdown table (query, status, answer, p50 and max
time in ms) and the p99 over all requests; ``bench/out/abuse.json`` keeps the figures.
Without ``--index`` it ingests the R-help files of ``--year`` (default 2005) into
``bench/scratch/abuse-index`` first.

    python -m bench.abuse                        # R-help 2005 (about 21,000 messages)
    python -m bench.abuse --index ../my-index --repeat 20
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .corpus import RHELP

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
VENV_BIN = Path(sys.executable).parent


def _q(text: str) -> str:
    return "q=" + quote(text, safe="")


#: (what, raw query string) in the order of the README's table.
HOSTILE: list[tuple[str, str]] = [
    ("100 KB query", _q("regression " * 9_310)),
    ("3,000 nested parentheses", _q("(" * 3000 + "lm" + ")" * 3000)),
    ("40 nested parentheses (short)", _q("(" * 40 + "lm" + ")" * 40)),
    ("`*` (everything)", _q("*")),
    ("`a*` (prefix of one letter)", _q("a*")),
    ("`reg*` (prefix)", _q("reg*")),
    ("`*ing` (leading wildcard)", _q("*ing")),
    ("`r?g*ion` (wildcard)", _q("r?g*ion")),
    ("`regression~9` (fuzzy, distance 9)", _q("regression~9")),
    ("`regression~2` (fuzzy, distance 2)", _q("regression~2")),
    ("`regression~1` (fuzzy, distance 1)", _q("regression~1")),
    ("1,000 OR terms", _q(" OR ".join(f"w{i}" for i in range(1000)))),
    ("100 terms (short)", _q(" ".join(f"w{i}" for i in range(100)))),
    ("60 OR terms of common words", _q(" OR ".join(["the", "data", "r", "lm", "plot"] * 12))),
    ("page 10^9", "q=regression&page=1000000000"),
    ("page 100 of 100 (deepest offset)", "q=regression&page=100&per_page=100"),
    ("per_page 10^6", "q=regression&per_page=1000000"),
    ("NUL in the query", "q=lm%00glm"),
    ("invalid UTF-8", "q=%FF%FE%FDregression"),
    ("every facet, browsing all", "q=&" + "&".join(f"facet={f}" for f in (
        "author", "kind", "thread", "site", "tag", "lang", "year", "month", "day"))),
    ("a facet 20 times", "q=lm&" + "&".join(["facet=author"] * 20)),
    ("until= (empty)", "q=lm&until="),
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _build_index(year: str) -> Path:
    index = ROOT / "scratch" / "abuse-index"
    if not index.exists():
        files = sorted(str(p) for p in RHELP.glob(f"r-help-{year}-*.txt.gz"))
        subprocess.run(
            [str(VENV_BIN / "threadsearch"), "ingest", *files, "--index", str(index), "--quiet"],
            check=True,
        )
    return index


def _get(port: int, query: str) -> tuple[int, dict[str, Any], float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    connection.request("GET", f"/search?{query}")
    response = connection.getresponse()
    body = response.read()
    elapsed = (time.perf_counter() - started) * 1000
    connection.close()
    try:
        return response.status, json.loads(body), elapsed
    except ValueError:  # not JSON: a server in front that answers on its own
        return response.status, {"title": f"{response.reason} (not JSON)"}, elapsed


def _answer(status: int, body: dict[str, Any]) -> str:
    if status == 200 and "total" in body:
        flag = ", partial" if body.get("partial") else ""
        return f"{body['total']:,} hits{flag}"
    errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
    if errors.get("limit"):
        return f"{body['title']}: `{errors['limit']}`"
    names = ", ".join(sorted(errors))
    return f"{body['title']}" + (f" (`{names}`)" if names else "")


def run(index: Path, repeat: int) -> dict[str, Any]:
    port = _free_port()
    log = (ROOT / "scratch" / "abuse-server.log").open("wb")
    server = subprocess.Popen(
        [str(VENV_BIN / "threadsearch"), "serve", "--index", str(index), "--port", str(port),
         "--workers", "2"],
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    try:
        _wait_ready(port, server)
        rows, times = [], []
        for what, query in HOSTILE:
            status, body, first = _get(port, query)  # the first run fills no cache of ours
            took = [first] + [_get(port, query)[2] for _ in range(repeat - 1)]
            times += took
            rows.append({"query": what, "status": status, "answer": _answer(status, body),
                         "first_ms": round(first, 1), "max_ms": round(max(took), 1)})  # fmt: skip
    finally:
        server.terminate()
        server.wait(20)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    return {"index": str(index), "repeat": repeat, "rows": rows, "p99_ms": round(p99, 1)}


def _wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not turn ready in 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, help="Serve this index (default: R-help --year).")
    parser.add_argument("--year", default="2005", help="R-help year to ingest without --index.")
    parser.add_argument("--repeat", type=int, default=5, help="Requests per query.")
    args = parser.parse_args()
    index = args.index or _build_index(args.year)
    result = run(index, args.repeat)
    OUT.mkdir(exist_ok=True)
    (OUT / "abuse.json").write_text(json.dumps(result, indent=2) + "\n")
    print("| hostile query | status | answer | first (ms) | max (ms) |")
    print("|---|---|---|---|---|")
    for row in result["rows"]:
        print(f"| {row['query']} | {row['status']} | {row['answer']} | {row['first_ms']} | "
              f"{row['max_ms']} |")  # fmt: skip
    print(f"\np99 over {len(HOSTILE) * args.repeat} requests: {result['p99_ms']} ms")


if __name__ == "__main__":
    main()
