"""Where an index lives when nobody says: the one default, for the CLI, the API and code.

In a checkout of the project (``search/`` beside ``index_data/``) the default is
``index_data/index``, so ``make serve`` and the examples need no settings. Installed from
a wheel, it is the user's data folder (``platformdirs``: ``~/.local/share/threadsearch/index``
on Linux), never a folder inside the installed package. ``THREADSEARCH_INDEX`` overrides
both; the CLI's ``--index`` and the app's ``INDEX`` setting override that.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

ENV_VAR = "THREADSEARCH_INDEX"
_PACKAGE = Path(__file__).resolve().parent


def checkout_root() -> Path | None:
    """The project folder when running from a checkout, else None."""
    root = _PACKAGE.parent
    if _PACKAGE.name == "search" and (root / "index_data").is_dir():
        return root
    return None


def default_index_dir() -> Path:
    """``$THREADSEARCH_INDEX``, else the checkout's ``index_data/index``, else the user's."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    root = checkout_root()
    if root is not None:
        return root / "index_data" / "index"
    return user_data_path("threadsearch", appauthor=False) / "index"
