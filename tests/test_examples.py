"""The examples and the README's Python section run, and print what they say they do."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEED

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_embed_example_indexes_and_searches(tmp_path: Path) -> None:
    script = ROOT / "examples" / "embed.py"
    run = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "index")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert run.stdout.splitlines() == [
        "3 entries mention vinegar",
        "  2024-05-01 10:30 UTC  Ana: kettle-1",
        "  2024-05-01 11:30 UTC  Ben: kettle-2",
        "  2024-05-01 12:30 UTC  Ana: kettle-3",
        "  author Ana: 2",
        "  author Ben: 1",
    ]
    assert (tmp_path / "index" / "threadsearch.json").is_file()


def _python_blocks(section: str) -> list[str]:
    start = README.index(f"## {section}\n")
    end = README.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", README[start:end], re.DOTALL)


def test_readme_python_section_has_its_examples() -> None:
    assert len(_python_blocks("Use it from Python")) == 2


@pytest.mark.parametrize("number", range(len(_python_blocks("Use it from Python"))))
def test_readme_python_section_runs(
    number: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each block runs in a fresh folder holding a copy of the bundled sample."""
    (tmp_path / "index_data").mkdir()
    (tmp_path / "index_data" / SEED.name).write_bytes(SEED.read_bytes())
    monkeypatch.chdir(tmp_path)
    exec(compile(_python_blocks("Use it from Python")[number], "README.md", "exec"), {})
