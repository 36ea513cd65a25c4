"""Facts about the course itself: where it lives, and the cell every chapter starts with.

The repository URL is defined here and nowhere else. The "Open in Colab" badges and the
setup cell of every notebook are written from it (``ci/sync_notebooks.py``), and a test
checks that they agree. Taught in chapter 00 (the preface).
"""

from __future__ import annotations

from pathlib import Path

#: The course's home on GitHub. Change it here, then run ``python ci/sync_notebooks.py``.
REPO_URL = "https://github.com/rnn-course/rnn-course"
#: The branch that badges point at.
BRANCH = "main"
#: The folder the Colab setup cell clones into.
COLAB_CHECKOUT = "rnn-course"

#: The repository root (``utils`` is installed in editable mode, so this is the checkout).
ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"

#: The first line of every *check cell*: a code cell that checks the numbers quoted in the text
#: (``utils.check_claim``, ``leaderboard.enter``). Check cells are collapsed for the reader
#: (Colab shows this title, JupyterLab a bar) and executed by CI like any other cell.
CHECK_CELL_TITLE = "# @title Check the numbers quoted in the text"
#: The cell metadata that collapses a check cell in JupyterLab and in Colab.
CHECK_CELL_METADATA = {"cellView": "form", "jupyter": {"source_hidden": True}}


def colab_url(notebook_path: str) -> str:
    """The address that opens ``notebook_path`` (relative to the repo root) in Colab."""
    github_path = REPO_URL.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{github_path}/blob/{BRANCH}/{notebook_path}"


def colab_badge(notebook_path: str) -> str:
    """The Markdown of the "Open in Colab" badge for ``notebook_path``."""
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"({colab_url(notebook_path)})"
    )


def setup_cell_source() -> str:
    """The first code cell of every chapter: the same text runs in Jupyter and in Colab.

    Locally ``utils`` is already installed (``make lab``). In Colab the cell clones the
    course, installs the little Colab lacks (``requirements-colab.txt``) and puts the
    checkout on ``sys.path``.
    """
    return f"""\
# Setup: the same cell runs in Jupyter and in Colab.
import sys

if "google.colab" in sys.modules:  # fetch the course's helper package `utils`
    import os
    import subprocess

    if not os.path.isdir("{COLAB_CHECKOUT}"):
        subprocess.run(["git", "clone", "--depth=1", "{REPO_URL}"], check=True)
    subprocess.run(["pip", "install", "-q", "-r", "{COLAB_CHECKOUT}/requirements-colab.txt"], check=True)
    sys.path.insert(0, "{COLAB_CHECKOUT}")

import utils"""
