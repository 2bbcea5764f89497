"""The ``threadsearch`` command: ingest, search, show, stats, export and serve.

Every command takes ``--index DIR`` (default ``index_data/index``, or
``$THREADSEARCH_INDEX``). ``--json`` prints exactly the body the HTTP API returns for
the same request (both are the result's ``to_dict()``), for piping into jq; without it,
a table a person can read.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from threadsearch.backend import BACKENDS, Backend, open_backend
from threadsearch.errors import IndexBusyError, SearchError
from threadsearch.index import open_index
from threadsearch.ingest import DEFAULT_BATCH_ENTRIES, IngestOptions, Progress, ingest_paths
from threadsearch.locations import default_index_dir
from threadsearch.model import IngestSummary, SearchRequest
from threadsearch.query.engine import SORTS
from threadsearch.query.facets import FACETS
from threadsearch.query.filters import parse_bound
from threadsearch.sources import FORMATS

F = TypeVar("F", bound=Callable[..., Any])

index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: str(default_index_dir()),
    envvar="THREADSEARCH_INDEX",
    show_default="$THREADSEARCH_INDEX, or index_data/index in a checkout, or the user data dir",
    help="Folder of the index.",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print the API's JSON body.")


def backend_options(command: F) -> F:
    """``--backend`` and ``--opensearch-url``, read from the same variables as the API."""
    command = click.option(
        "--opensearch-url",
        envvar="THREADSEARCH_OPENSEARCH_URL",
        metavar="URL[,URL...]",
        help="Cluster address(es) for --backend opensearch.",
    )(command)
    command = click.option(
        "--backend",
        type=click.Choice(BACKENDS),
        default="whoosh",
        envvar="THREADSEARCH_BACKEND",
        show_default=True,
        help="Which engine answers: the --index folder, or an OpenSearch cluster.",
    )(command)
    return command


def _backend(backend: str, opensearch_url: str | None, index_dir: Path) -> Backend:
    return open_backend(
        backend,
        index_dir=index_dir,
        opensearch_url=opensearch_url,
        opensearch_index=os.environ.get("THREADSEARCH_OPENSEARCH_INDEX"),
    )


#: Exit status of a command that found the index busy (sysexits' EX_TEMPFAIL): another
#: writer holds it; the same command can be run again later.
EXIT_BUSY = 75


def _fail(error: SearchError) -> None:
    click.secho(f"error: {error}", fg="red", err=True)
    sys.exit(EXIT_BUSY if isinstance(error, IndexBusyError) else 1)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="threadsearch")
def main() -> None:
    """Search discussion threads: blog comments, forum topics, mailing lists.

    \b
    Build an index, then ask it questions:
      threadsearch ingest index_data/                 # the bundled sample
      threadsearch search "bounty hunters" --facet kind
      threadsearch search "" --since 2005-10-02 --until 2005-10-02 --sort oldest
      threadsearch serve                              # HTTP API on 127.0.0.1:8000
    """


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Skip detection; read as this.")
@click.option(
    "--timezone", "tz", metavar="TZ", help="Zone of times written without one, e.g. Asia/Shanghai."
)
@click.option("--base-url", metavar="URL", help="Site address for files whose links lack a host.")
@click.option(
    "--include-hidden", is_flag=True, help="Also index drafts, unapproved, spam, deleted."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress or warnings on stderr.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="If another writer holds the index, wait this long for it (else exit 75).",
)
@click.option("--strict", is_flag=True, help="Fail, writing nothing, if any file gives a warning.")
@click.option(
    "--atomic", is_flag=True, help="One commit for everything: all or nothing, no skipping."
)
@click.option(
    "--batch-entries",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_ENTRIES,
    show_default=True,
    metavar="N",
    help="Commit once the batch holds N entries, inside a file if need be "
    "(or 1/16 of the run's input, past 256 KiB).",
)
@index_option
@backend_options
@json_option
def ingest(
    paths: tuple[Path, ...],
    fmt: str | None,
    tz: str | None,
    include_hidden: bool,
    base_url: str | None,
    quiet: bool,
    wait: float,
    strict: bool,
    atomic: bool,
    batch_entries: int,
    index_dir: Path,
    backend: str,
    opensearch_url: str | None,
    as_json: bool,
) -> None:
    """Add files or folders (recursively, .gz too) to the index.

    The format of each file is detected from its content: text (scraped blog pages),
    wxr (WordPress), disqus, feed (RSS/Atom comment feeds), html (saved pages), mail
    (mbox and pipermail), jsonl (threadsearch's own), stackexchange (Posts.xml).
    Re-ingesting a file updates its entries (merged with the copies the index holds,
    by the README's "Merging sources" rules). Files go in in batches, a commit every
    --batch-entries entries (or sixteenth of the input), and the index records which
    files (and which threads of a file cut by a batch) it holds: a run that is killed
    or fails at a file keeps the batches committed before, and the same command run
    again skips what they hold (unless the index was written to meanwhile) and reads
    the rest. With --atomic, all files go
    in one commit: if any fails, the index is left exactly as it was.
    With --backend opensearch the threads stream into the cluster in bulk chunks
    instead (no batches, ledger or single commit there).

    One writer at a time: if another (an ingest, the server answering POST /threads)
    holds the index, ingest waits up to --wait seconds for it, then gives up, writing
    nothing, with exit status 75 (EX_TEMPFAIL): run it again later.

    \b
    Examples:
      threadsearch ingest index_data/000_da0b5a8ba304d53d.txt --timezone Asia/Shanghai
      threadsearch ingest ../archives/r-help/ --index /tmp/rhelp --wait 60

    It ends with a summary per file: entries by kind, threads, entries whose date
    is unknown, entries merged with the same entry from another file, and warnings
    (--json: the same as JSON, as POST /threads answers). --strict turns any warning
    into an error: every file is read, the warnings are listed, nothing is written.

    \b
    Exit status: 0 done, 1 error or --strict warnings (the failing batch not
    written; with --strict or --atomic nothing is), 2 bad usage,
    75 the index is busy (the waiting batch not written; run the same command again).
    """
    try:
        zone = ZoneInfo(tz) if tz else None
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {tz!r}", param_hint="--timezone") from None
    options = IngestOptions(
        fmt,
        zone,
        include_hidden,
        base_url,
        wait=wait,
        strict=strict,
        atomic=atomic,
        batch_entries=batch_entries,
    )
    progress = _progress(quiet, wait)
    try:
        if backend == "whoosh":
            index = open_index(index_dir, create=True)
            try:
                report = ingest_paths(index, list(paths), options, progress)
            finally:
                index.close()
        else:  # streamed to the cluster in bulk chunks; no all-or-nothing commit there
            engine = _backend(backend, opensearch_url, index_dir)
            try:
                report = engine.ingest(list(paths), options)
            finally:
                engine.close()
    except SearchError as error:
        _fail(error)
    finally:
        progress.close()
    target = str(index_dir) if backend == "whoosh" else str(opensearch_url)
    if as_json:
        _echo_json(report.to_dict() | {"index": target})
        return
    for line in _summary_lines(report):
        click.echo(line)
    click.echo(
        f"Indexed {report.entries} entries in {report.threads} threads "
        f"from {len(report.files)} files into {target} "
        f"({len(report.skipped)} files already in, skipped; {len(report.warnings)} warnings)."
    )


def _summary_lines(summary: IngestSummary) -> list[str]:
    """One line per file: ``path (format): N threads, K kind..., U undated, ...``."""
    lines = []
    for item in summary.by_file:
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(item.entries.items()))
        lines.append(
            f"{item.path} ({item.format or '-'}): {item.threads} threads; "
            f"{kinds or 'no entries'}; {item.undated} undated, {item.merged} merged, "
            f"{len(item.warnings)} warnings"
        )
    return lines


class _Bar(Progress):
    def close(self) -> None:
        bar = getattr(self, "bar", None)
        if bar is not None:
            bar.close()


def _progress(quiet: bool, wait: float = 0.0) -> _Bar:
    progress = _Bar()
    if quiet:
        return progress

    def on_busy() -> None:
        click.secho(f"another writer holds the index; waiting up to {wait:g} s", err=True)

    from tqdm import tqdm

    state: dict[str, Any] = {"entries": 0}

    def on_file(path: Path, number: int, total: int) -> None:
        bar = getattr(progress, "bar", None)
        if bar is None and total > 1:
            progress.bar = tqdm(total=total, unit="file", file=sys.stderr)  # type: ignore[attr-defined]
            bar = progress.bar  # type: ignore[attr-defined]
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{state['entries']} entries, {path.name}", refresh=False)

    def on_thread(thread: Any) -> None:
        state["entries"] += len(thread.entries)

    def on_warning(message: str) -> None:
        click.secho(f"warning: {message}", fg="yellow", err=True)

    progress.on_file, progress.on_thread, progress.on_warning = on_file, on_thread, on_warning
    progress.on_busy = on_busy
    return progress


def _bound(end: bool) -> Callable[[click.Context, click.Parameter, str | None], Any]:
    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return parse_bound(value, end=end)
        except SearchError as error:
            raise click.BadParameter(error.message) from None

    return convert


@main.command("search")
@click.argument("query")
@click.option("--author", multiple=True, help="Only entries by this author (repeatable).")
@click.option("--kind", multiple=True, help="post, comment, trackback or pingback (repeatable).")
@click.option("--thread", multiple=True, help="Only this thread id (repeatable).")
@click.option("--site", multiple=True, help="Only this site (repeatable).")
@click.option("--tag", multiple=True, help="Only threads with this tag (repeatable).")
@click.option("--lang", multiple=True, help="Only entries in this language, e.g. de (repeatable).")
@click.option("--since", callback=_bound(False), help="From this ISO date or datetime.")
@click.option("--until", callback=_bound(True), help="Up to this date (the whole day) or datetime.")
@click.option(
    "--facet", "facets", multiple=True, type=click.Choice(FACETS), help="Count per value."
)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--collapse", type=click.Choice(["thread"]), help="At most one hit per thread.")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--per-page", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--cursor", help="The next_cursor a previous search printed: the page after it.")
@index_option
@backend_options
@json_option
def search_command(
    query: str,
    index_dir: Path,
    backend: str,
    opensearch_url: str | None,
    as_json: bool,
    **args: Any,
) -> None:
    """Search the index; QUERY "" browses everything.

    QUERY uses Whoosh's language: words are ANDed; "a phrase"; author:Martyn;
    refug* (wildcard); refugee~ (fuzzy); OR, NOT, parentheses;
    timestamp:[2005-10-01 TO 2005-10-02].

    \b
    Examples:
      threadsearch search refugee --facet kind --facet day
      threadsearch search "" --kind trackback --sort newest --json | jq '.hits[].id'
    """
    request = SearchRequest(
        q=query,
        author=list(args["author"]),
        kind=list(args["kind"]),
        thread=list(args["thread"]),
        site=list(args["site"]),
        tag=list(args["tag"]),
        lang=list(args["lang"]),
        since=args["since"],
        until=args["until"],
        facets=list(args["facets"]),
        sort=args["sort"],
        page=args["page"],
        per_page=args["per_page"],
        collapse=args["collapse"],
        cursor=args["cursor"],
    )
    try:
        engine = _backend(backend, opensearch_url, index_dir)
        try:
            result = engine.search(request)
        finally:
            engine.close()
    except SearchError as error:
        _fail(error)
    body = result.to_dict()
    if as_json:
        _echo_json(body)
        return
    _print_result(body)


def _print_result(body: dict[str, Any]) -> None:
    first = (body["page"] - 1) * body["per_page"] + 1
    last = first + len(body["hits"]) - 1
    click.echo(f"{body['total']} hits" + (f", showing {first}-{last}" if body["hits"] else ""))
    for hit in body["hits"]:
        when = (hit["timestamp"] or "no date")[:16].replace("T", " ")
        who = hit["author"] or "(no name)"
        click.echo(f"\n{hit['id']}  {hit['kind']} #{hit['position']}  {when}  {who}")
        click.echo(f"  {hit['thread_title']}")
        highlights = hit.get("highlights") or {}
        if "title" in highlights:
            click.echo(f"  title: {_terminal(highlights['title'])}")
        click.echo(f"  {_terminal(hit['snippet'])}")
        if "quoted" in highlights:
            click.echo(f"  > {_terminal(highlights['quoted'])}")
        if hit.get("matched_terms"):
            click.echo(f"  matched: {', '.join(hit['matched_terms'])}")
    for name, facet in body["facets"].items():
        values = ", ".join(f"{v['value']}: {v['count']}" for v in facet["values"])
        click.echo(f"\n{name}: {values}" + (" …" if facet["truncated"] else ""))
    if body.get("suggestion"):
        click.echo(f"\nDid you mean: {body['suggestion']}")
    if body.get("next_cursor"):
        click.echo(f"\nNext page: --cursor {body['next_cursor']}")


def _terminal(snippet: str) -> str:
    """An HTML snippet for the terminal: marks in bold, entities decoded, one line."""
    bold = snippet.replace("<mark>", "\033[1m").replace("</mark>", "\033[0m")
    return " ".join(_unescape(bold).split())


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


@main.command()
@click.argument("item_id", metavar="ID")
@index_option
@backend_options
@json_option
def show(
    item_id: str, index_dir: Path, backend: str, opensearch_url: str | None, as_json: bool
) -> None:
    """Print a thread (by thread id) or an entry (by entry id) in full."""
    try:
        engine = _backend(backend, opensearch_url, index_dir)
        try:
            try:
                body = engine.get_thread(item_id).to_dict()
                kind = "thread"
            except SearchError:
                body = engine.get_entry(item_id).to_dict()
                kind = "entry"
        finally:
            engine.close()
    except SearchError as error:
        _fail(error)
    if as_json:
        _echo_json(body)
        return
    entries = body["entries"] if kind == "thread" else [body]
    if kind == "thread":
        click.echo(f"{body['title']}  ({body['entry_count']} entries)  {body['url'] or ''}")
    for entry in entries:
        when = (entry["timestamp"] or "no date").replace("T", " ")
        click.echo(
            f"\n#{entry['position']} {entry['kind']}  {entry['author'] or '(no name)'}  {when}"
        )
        if entry["title"]:
            click.echo(entry["title"])
        click.echo(entry["body"])


@main.command("stats")
@index_option
@backend_options
@json_option
def stats_command(index_dir: Path, backend: str, opensearch_url: str | None, as_json: bool) -> None:
    """Counts and date range of what the index holds."""
    try:
        engine = _backend(backend, opensearch_url, index_dir)
        try:
            body = engine.stats().to_dict()
        finally:
            engine.close()
    except SearchError as error:
        _fail(error)
    if as_json:
        _echo_json(body)
        return
    for key, value in body.items():
        click.echo(f"{key:>12}: {value}")


@main.command()
@index_option
def reindex(index_dir: Path) -> None:
    """Rebuild an index written by an earlier threadsearch, from the text it stores.

    Needed after an upgrade changes how text is analyzed (the index format version,
    shown by `threadsearch stats`). The index stays searchable until the rebuilt one
    takes its place.

    \b
    Example:
      threadsearch reindex --index ~/threads-index
    """
    from threadsearch.reindex import reindex as rebuild

    try:
        report = rebuild(index_dir)
    except SearchError as error:
        _fail(error)
    click.echo(f"reindexed {report.threads} threads, {report.entries} entries in {index_dir}")


@main.command()
@click.option("--thread", "threads", multiple=True, help="Only this thread id (repeatable).")
@click.option(
    "--output",
    "-o",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write; default standard output.",
)
@index_option
def export(threads: tuple[str, ...], output: Any, index_dir: Path) -> None:
    """Write the index's threads as JSON Lines, one thread per line.

    The format is the one `ingest` reads (and POST /threads accepts), so an export
    ingested into a fresh index gives the same documents.

    \b
    Example:
      threadsearch export -o backup.jsonl && threadsearch ingest backup.jsonl --index new/
    """
    from threadsearch.export import iter_index_threads
    from threadsearch.sources.jsonl import thread_to_dict

    try:
        with open_index(index_dir) as index:
            for thread in iter_index_threads(index, list(threads) or None):
                output.write(json.dumps(thread_to_dict(thread), ensure_ascii=False) + "\n")
    except SearchError as error:
        _fail(error)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Worker processes; each opens the index once.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Threads per worker, sharing its open index (gunicorn's gthread worker).",
)
@index_option
@backend_options
def serve(
    host: str,
    port: int,
    workers: int,
    threads: int,
    index_dir: Path,
    backend: str,
    opensearch_url: str | None,
) -> None:
    """Serve the HTTP API with gunicorn: worker processes, each with threads.

    Processes use the cores; threads in a process share one open index, its caches
    and memory, and serve many slow clients cheaply. Ingests (the CLI, or POST
    /threads) show on the next request without a restart.

    \b
    Try:
      threadsearch serve --workers 2 --threads 8
      curl '127.0.0.1:8000/search?q=bounty+hunters&facet=kind'
      curl '127.0.0.1:8000/openapi.json'

    An empty or missing index folder is served too: /readyz answers 503 until an
    ingest creates the index there.
    """
    from . import create_app
    from .server import serve as run

    try:
        _backend(backend, opensearch_url, index_dir).close()
    except SearchError as error:
        # Serve anyway: /readyz answers 503 with this reason until an ingest creates
        # the index (or the cluster answers), then 200, without a restart.
        click.echo(f"threadsearch: not ready yet: {error}", err=True)
    config = {"INDEX": str(index_dir), "BACKEND": backend, "OPENSEARCH_URL": opensearch_url}
    run(create_app(config), host, port, workers, threads)


@main.command()
@click.option(
    "--from-jsonl",
    "jsonl",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read this export (threadsearch export) instead of the --index folder.",
)
@click.option(
    "--opensearch-url",
    envvar="THREADSEARCH_OPENSEARCH_URL",
    required=True,
    metavar="URL[,URL...]",
    help="The cluster to fill.",
)
@click.option(
    "--alias",
    envvar="THREADSEARCH_OPENSEARCH_INDEX",
    default="threadsearch",
    show_default=True,
    help="The alias the new index generation goes behind.",
)
@click.option("--shards", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--replicas", type=click.IntRange(min=0), default=0, show_default=True)
@index_option
def copy(
    jsonl: Path | None,
    opensearch_url: str,
    alias: str,
    shards: int,
    replicas: int,
    index_dir: Path,
) -> None:
    """Copy a Whoosh index (or its JSONL export) into an OpenSearch cluster.

    The entries fill a new index generation; when all are written, the alias swaps to
    it in one step, so searches see the old copy or the new one, never half. Entries
    keep their ids and their order.

    \b
    Example:
      threadsearch copy --index /data/rhelp --opensearch-url http://10.0.0.5:9200 \\
          --shards 3 --replicas 1
    """
    from threadsearch.backend import split_urls
    from threadsearch.export import iter_index_fields
    from threadsearch.opensearch import OpenSearchBackend

    cluster = OpenSearchBackend(split_urls(opensearch_url), alias=alias)
    try:
        if jsonl is not None:
            report = cluster.ingest(
                [jsonl], IngestOptions("jsonl"), rebuild=True, shards=shards, replicas=replicas
            )
            written = report.entries
        else:
            with open_index(index_dir) as index:
                written = cluster.copy_fields(
                    iter_index_fields(index), shards=shards, replicas=replicas
                )
    except SearchError as error:
        _fail(error)
    finally:
        cluster.close()
    click.echo(f"Copied {written} entries into {alias} at {opensearch_url}.")
