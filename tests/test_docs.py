"""The README cannot drift from the code: settings, public names, CLI commands."""

from __future__ import annotations

import doctest
import importlib
import re

import pytest
import threadsearch
from threadsearch.api.cli import main
from threadsearch.api.config import SETTINGS

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|", README, re.MULTILINE))
    assert set(rows) == {setting.name for setting in SETTINGS}
    for setting in SETTINGS:
        if setting.name == "INDEX":
            continue  # an absolute path here; the README shows it relative to the repository
        expected = "unset" if setting.default is None else str(setting.default)
        assert rows[setting.name].strip("`") == expected


def test_every_cli_command_is_in_the_readme() -> None:
    for name in main.commands:
        assert f"threadsearch {name}" in README, name


def test_public_names_are_exported() -> None:
    for name in threadsearch.__all__:
        assert hasattr(threadsearch, name), name
    assert "search" in threadsearch.__all__ and "open_index" in threadsearch.__all__


@pytest.mark.parametrize(
    "module", ["threadsearch.query.parse", "threadsearch.query.snippets", "threadsearch.opensearch"]
)
def test_the_examples_in_the_query_docstrings_run(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0
    assert result.attempted > 0
