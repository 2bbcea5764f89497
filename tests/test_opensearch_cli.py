"""``threadsearch copy`` and ``--backend opensearch``; the seam's errors without a cluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result
from threadsearch import open_backend
from threadsearch.api import create_app
from threadsearch.api.cli import main
from threadsearch.errors import SearchError

if TYPE_CHECKING:
    from cluster.launch import DevCluster


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def json_of(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_backend_unknown_name_is_refused() -> None:
    with pytest.raises(SearchError, match="unknown backend 'solr'. Use one of: whoosh, opensearch"):
        open_backend("solr")


def test_backend_opensearch_without_an_address_says_which_setting() -> None:
    with pytest.raises(SearchError, match="THREADSEARCH_OPENSEARCH_URL or --opensearch-url"):
        open_backend("opensearch", opensearch_url=" , ")


def test_cli_search_opensearch_without_address_exits_1(seed_index_dir: Path) -> None:
    result = invoke("search", "refugee", "--backend", "opensearch")
    assert result.exit_code == 1
    assert "needs the cluster's address" in result.output


def test_api_whoosh_stays_the_default(seed_index_dir: Path) -> None:
    app = create_app({"TESTING": True, "INDEX": str(seed_index_dir)})
    body = app.test_client().get("/search?q=refugee").get_json()
    assert app.config["BACKEND"] == "whoosh"
    assert body["total"] == 13
    app.extensions.pop("threadsearch").close()


def test_cli_copy_then_search_through_the_cluster(
    opensearch_cluster: DevCluster, seed_index_dir: Path, tmp_path: Path
) -> None:
    url = ",".join(opensearch_cluster.urls)
    copied = invoke("copy", "--index", str(seed_index_dir), "--opensearch-url", url,
                    "--alias", "cli-copy")  # fmt: skip
    assert copied.exit_code == 0, copied.output
    assert copied.output.startswith("Copied 27 entries into cli-copy")
    whoosh = json_of(invoke("search", "refugee", "--facet", "kind", "--index",
                            str(seed_index_dir), "--json"))  # fmt: skip
    cluster_args = ["--backend", "opensearch", "--opensearch-url", url, "--json"]
    cluster = invoke("search", "refugee", "--facet", "kind", *cluster_args)
    # The default alias is not the copied one: the cluster says there is no such index.
    assert cluster.exit_code == 1
    assert "no index 'threadsearch'" in cluster.output
    runner = CliRunner(env={"THREADSEARCH_OPENSEARCH_INDEX": "cli-copy"})
    theirs = json.loads(
        runner.invoke(main, ["search", "refugee", "--facet", "kind", *cluster_args]).stdout
    )
    assert theirs["total"] == whoosh["total"] == 13
    assert theirs["facets"] == whoosh["facets"]
    # A JSONL export copies the same entries into a new generation behind the alias.
    export = tmp_path / "seed.jsonl"
    assert invoke("export", "--index", str(seed_index_dir), "-o", str(export)).exit_code == 0
    again = invoke("copy", "--from-jsonl", str(export), "--opensearch-url", url,
                   "--alias", "cli-copy")  # fmt: skip
    assert again.output.startswith("Copied 27 entries into cli-copy"), again.output
    stats = json.loads(runner.invoke(main, ["stats", *cluster_args]).stdout)
    assert (stats["entries"], stats["threads"], stats["generation"]) == (27, 1, 2)
    backend = open_backend("opensearch", opensearch_url=url, opensearch_index="cli-copy")
    assert backend._generations() == ["cli-copy-g2"]  # type: ignore[attr-defined]
    backend.drop()  # type: ignore[attr-defined]
    backend.close()


def test_cli_ingest_into_the_cluster_twice_keeps_one_copy(opensearch_cluster: DevCluster) -> None:
    from tests.conftest import SEED

    url = ",".join(opensearch_cluster.urls)
    runner = CliRunner(env={"THREADSEARCH_OPENSEARCH_INDEX": "cli-ingest"})
    args = ["--backend", "opensearch", "--opensearch-url", url]
    for _ in range(2):
        result = runner.invoke(main, ["ingest", str(SEED), "-q", *args])
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[-1].startswith(
            "Indexed 27 entries in 1 threads from 1 files into http"
        )
    stats = json.loads(runner.invoke(main, ["stats", "--json", *args]).stdout)
    # Entry ids are the documents' ids: the second run replaced the first, one generation.
    assert (stats["entries"], stats["threads"], stats["generation"]) == (27, 1, 1)
    open_backend("opensearch", opensearch_url=url, opensearch_index="cli-ingest").drop()  # type: ignore[attr-defined]
