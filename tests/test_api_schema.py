"""The server keeps the promises of its OpenAPI document: schemathesis against a real one.

Every operation, the token-guarded writes included (the run has the token), every check
(``--checks all``), positive and negative data (``--mode all``), and the coverage,
fuzzing and stateful phases, with a fixed seed and a bounded number of examples per
operation so that the run stays around two minutes on two cores. The hooks in
``tests/schemathesis_hooks.py`` drop the generated cases that break a rule OpenAPI
cannot state (a rule across parameters, an opaque cursor); the module says which.
Below it, the failures schemathesis found, kept as plain regression tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from flask.testing import FlaskClient

from tests.conftest import ROOT, running_server

TOKEN = "schema-run-token"
SEED = 7
#: Examples per operation and phase: 1,210 requests in all (seed 7).
MAX_EXAMPLES = 45


def test_schemathesis_finds_no_failure(seed_index_copy: Path, tmp_path: Path) -> None:
    env = {"THREADSEARCH_API_TOKEN": TOKEN, "THREADSEARCH_ACCESS_LOG": "false"}
    log = tmp_path / "server.log"
    with running_server(seed_index_copy, log, "--workers", "2", env=env) as base:
        command = [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            f"{base}/openapi.json",
            "--checks=all",
            "--mode=all",
            "--phases=examples,coverage,fuzzing,stateful",
            f"--seed={SEED}",
            f"--max-examples={MAX_EXAMPLES}",
            f"--header=Authorization: Bearer {TOKEN}",
            "--generation-database=none",
            "--no-color",
        ]
        environment = os.environ | {
            "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
            "PYTHONPATH": str(ROOT),
        }
        run = subprocess.run(
            command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=900
        )
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    generated = re.search(r"(\d+) generated", run.stdout)
    assert generated is not None, report
    assert int(generated.group(1)) >= 1000, report
    assert "Server error" not in run.stdout and "Traceback" not in log.read_text()


# --- what schemathesis found, as regression tests -----------------------------------------


def test_a_naive_since_and_an_aware_until_compare(client: FlaskClient) -> None:
    ok = client.get("/search?since=2005-10-01&until=2005-10-01T23:59:59Z")
    assert (ok.status_code, ok.get_json()["total"]) == (200, 12)
    swapped = client.get("/search?since=2005-10-02&until=2005-10-01T00:00:00Z")
    assert swapped.status_code == 400
    assert swapped.get_json()["detail"].startswith("since (2005-10-02T00:00:00) is after until")


def test_405_names_the_allowed_methods(client: FlaskClient) -> None:
    response = client.open("/version", method="TRACE")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


def test_the_document_says_errors_are_problem_json(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    default = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(default) == ["application/problem+json"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) or status == "default":
                    assert "$ref" in response or list(response["content"]) == [
                        "application/problem+json"
                    ], (path, method, status)


def test_the_document_states_the_dates_and_the_query_length(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    parameters = {p["name"]: p for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert parameters["until"]["schema"]["anyOf"] == [
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
    ]
    assert parameters["q"]["schema"]["maxLength"] == 600
    assert parameters["facet"]["schema"]["maxItems"] == 9
    empty = client.get("/search?until=")
    assert empty.status_code == 400
    assert empty.get_json()["errors"] == {"until": ["until: '' is not an ISO date or datetime"]}


def test_a_position_past_32_bits_is_400_not_500(tmp_path: Path) -> None:
    from threadsearch.api import create_app
    from threadsearch.index import open_index

    open_index(tmp_path / "index", create=True).close()
    app = create_app({"TESTING": True, "INDEX": str(tmp_path / "index"), "API_TOKEN": TOKEN})
    thread = {"title": "t", "entries": [{"kind": "post", "position": 1219281689155771}]}
    response = app.test_client().post(
        "/threads", json=thread, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    index = app.extensions.pop("threadsearch", None)
    if index is not None:
        index.close()
    assert response.status_code == 400
    assert response.get_json()["errors"] == {
        "0": {"entries": {"0": {"position": ["Must be less than or equal to 2147483647."]}}}
    }
