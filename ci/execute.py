"""Re-execute notebooks in place, top to bottom, the way CI runs them (authors use this).

Usage: python ci/execute.py [NOTEBOOK_OR_FOLDER ...]   (default: chapters/)
or     make execute NB=chapters/03_language_models.ipynb

Each notebook runs in a fresh kernel with its folder as working directory, headless
(live plots print text lines), and is written back only if every cell succeeded.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def notebooks(args: list[str]) -> list[Path]:
    paths = []
    for arg in args or [str(ROOT / "chapters")]:
        p = Path(arg)
        paths += sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
    return paths


def execute(path: Path, write: bool = True, timeout: int = 900) -> float:
    """Run ``path`` in a fresh kernel; return the wall time in seconds."""
    os.environ.setdefault("RNN_COURSE_HEADLESS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    if write:
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    for path in notebooks(argv):
        print(f"{path.name:40s} ", end="", flush=True)
        print(f"{execute(path):7.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
