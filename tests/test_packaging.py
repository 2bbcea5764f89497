"""The built wheel, installed where a user's project has its own `search` and `api` packages.

The wheel is built from this checkout and installed, without its dependencies, into a
fresh virtual environment whose only other path is this environment's site-packages (for
Flask, Whoosh and the rest, so no network is needed). Then, from a folder that holds a
user's own `search/` and `api/` packages:

- ``import search, api`` gets the user's packages and ``import threadsearch`` ours;
- the installed ``threadsearch`` command ingests and searches, and its default index is
  in the user's data folder, not in the package;
- nothing is written inside the fresh environment's site-packages;
- ``mypy --strict`` type-checks a small program against the installed package (py.typed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED

USER_PACKAGES = {
    "search/__init__.py": "WHOSE = 'the user'\n",
    "api/__init__.py": "WHOSE = 'the user'\n",
}


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """A fresh venv with the wheel installed; its python, site-packages and a user project."""
    base = tmp_path_factory.mktemp("wheel")
    wheels = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)])
    (wheel,) = wheels.glob("threadsearch-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)])
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    # Our dependencies come from this environment; its .pth files (our editable install
    # among them) are not processed for a path added this way.
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    project = base / "user-project"
    for name, text in USER_PACKAGES.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    home = base / "home"
    home.mkdir()
    yield {"python": python, "bin": venv / "bin", "site": site, "project": project, "home": home}


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file()
    }


def _user_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THREADSEARCH_", "XDG_"))}
    return env | {"HOME": str(home), "PYTHONPATH": ""}


def _python_in_project(installed: dict[str, Path], code: str) -> str:
    """What ``code`` prints, run by the fresh environment's python in the user's project."""
    return _run(
        [str(installed["python"]), "-c", code],
        cwd=installed["project"],
        env=_user_env(installed["home"]),
    ).stdout


def test_wheel_imports_beside_packages_named_search_and_api(installed: dict[str, Path]) -> None:
    code = (
        "import search, api, threadsearch, threadsearch.api, json;"
        "print(json.dumps([search.WHOSE, api.WHOSE, threadsearch.__file__,"
        " threadsearch.api.__file__, 'open_index' in threadsearch.__all__]))"
    )
    out = _python_in_project(installed, code)
    user_search, user_api, ours, our_api, exported = json.loads(out)
    assert (user_search, user_api) == ("the user", "the user")
    assert Path(ours) == installed["site"] / "threadsearch" / "__init__.py"
    assert Path(our_api) == installed["site"] / "threadsearch" / "api" / "__init__.py"
    assert (installed["site"] / "threadsearch" / "py.typed").is_file()
    assert exported is True


def test_wheel_serves_the_search_page_from_its_own_files(installed: dict[str, Path]) -> None:
    code = (
        "from threadsearch.api import create_app; import json;"
        "client = create_app({'TESTING': True}).test_client();"
        "print(json.dumps([client.get(p).status_code for p in"
        " ('/', '/static/page.js', '/static/page.css')]))"
    )
    out = _python_in_project(installed, code)
    assert json.loads(out) == [200, 200, 200]
    static = installed["site"] / "threadsearch" / "api" / "static"
    assert sorted(p.name for p in static.iterdir()) == ["index.html", "page.css", "page.js"]


def test_wheel_cli_writes_its_index_to_the_user_data_folder(installed: dict[str, Path]) -> None:
    before = _files(installed["site"])
    env = _user_env(installed["home"])
    threadsearch = str(installed["bin"] / "threadsearch")
    _run([threadsearch, "ingest", str(SEED), "--quiet"], cwd=installed["project"], env=env)
    found = _run(
        [threadsearch, "search", "bounty hunters", "--json"], cwd=installed["project"], env=env
    )
    assert json.loads(found.stdout)["total"] == 2
    default = installed["home"] / ".local" / "share" / "threadsearch" / "index"
    assert (default / "threadsearch.json").is_file()
    assert _files(installed["site"]) == before


# A program a user might write: it must type-check against the installed package alone.
TYPED_PROGRAM = """
from datetime import datetime, timedelta, timezone

from threadsearch import Hit, SearchRequest, open_index, search


def hours_ago(hit: Hit, now: datetime) -> float | None:
    if hit.timestamp is None:
        return None
    when: datetime = hit.timestamp.astimezone(timezone.utc)
    return (now - when) / timedelta(hours=1)


with open_index("index") as index:
    result = search(index, SearchRequest(q="refugee", facets=["kind"]))
    for hit in result.hits:
        print(hit.id, hours_ago(hit, datetime.now(timezone.utc)), hit.utc_offset)
"""


def test_wheel_type_checks_a_users_program(installed: dict[str, Path], tmp_path: Path) -> None:
    program = tmp_path / "uses_threadsearch.py"
    program.write_text(TYPED_PROGRAM)
    bad = tmp_path / "misuses_threadsearch.py"
    bad.write_text(TYPED_PROGRAM.replace("hit.timestamp.astimezone", "hit.timestamp.upper"))
    command = [sys.executable, "-m", "mypy", "--strict", "--no-incremental"]
    command += ["--python-executable", str(installed["python"])]
    env = _user_env(installed["home"]) | {"MYPYPATH": ""}
    checked = subprocess.run(
        [*command, str(program)], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert checked.returncode == 0, checked.stdout
    # The annotations really are read: misusing Hit.timestamp as a string fails.
    misused = subprocess.run(
        [*command, str(bad)], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert misused.returncode == 1
    assert '"datetime" has no attribute "upper"' in misused.stdout
