"""Shared fixtures: paths to sample data, a clean environment, an index, an app."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SEED = ROOT / "index_data" / "000_da0b5a8ba304d53d.txt"
# The real corpora live beside the repository (../shared), as on every developer's
# machine and in CI. Tests that need the bulk files skip cleanly without them.
SHARED = ROOT.parent / "shared"
CORPORA = SHARED / "corpora"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("THREADSEARCH_"):
            monkeypatch.delenv(name)


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"the shared corpora are not at {CORPORA}")
    return CORPORA
