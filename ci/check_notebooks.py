"""Notebook hygiene: every chapter has the course's structure and honest stored outputs.

Usage: python ci/check_notebooks.py [NOTEBOOK ...]   (default: every chapters/*.ipynb)
Exits 1 and lists the problems if any notebook fails a check. `make test` runs it
through tests/test_notebooks.py.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from utils.course import CHECK_CELL_METADATA, CHECK_CELL_TITLE, colab_url, setup_cell_source  # noqa: E402

MAX_BYTES = 3_000_000  # a chapter with a few plots is well under this
NAME_PATTERN = re.compile(r"^(\d\d|A\d)_[a-z0-9_]+\.ipynb$")
# Paths that would leak the author's machine into a stored output.
LOCAL_PATH = re.compile(r"(/home/\w|/Users/\w|/root/|/work/|/tmp/|[A-Z]:\\\\Users|site-packages)")
# Calls that check a number quoted in the text: they belong in collapsed check cells.
CHECK_CALL = re.compile(r"\b(check_claim|leaderboard\.enter)\(")
# A check on a duration or a speed fails on a busy machine; budgets belong to the benchmark.
TIMED_CLAIM = re.compile(r"check_claim\([^)]*(seconds|tokens/s|per second|throughput|speed)[^)]*\)", re.I | re.S)


def source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def output_text(output) -> str:
    if output.get("output_type") == "stream":
        return "".join(output.get("text", ""))
    data = output.get("data", {})
    parts = [data.get(kind, "") for kind in ("text/plain", "text/html", "text/markdown")]
    return "".join("".join(p) if isinstance(p, list) else p for p in parts)


def problems(path: Path) -> list[str]:
    """Everything wrong with the notebook at ``path`` (empty when it is fine)."""
    found = []
    if not NAME_PATTERN.match(path.name):
        found.append("file name is not NN_short_name.ipynb")
    if path.stat().st_size > MAX_BYTES:
        found.append(f"file is {path.stat().st_size:,} bytes, over {MAX_BYTES:,}: shrink figures or outputs")
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    markdown = [source(c) for c in cells if c["cell_type"] == "markdown"]
    code = [c for c in cells if c["cell_type"] == "code" and source(c).strip()]

    if not cells or cells[0]["cell_type"] != "markdown" or not source(cells[0]).startswith("# "):
        found.append("the first cell is not a Markdown cell starting with an H1 title")
    relative = path.resolve().relative_to(ROOT).as_posix()
    if f"({colab_url(relative)})" not in "\n".join(markdown[:2]):
        found.append(f"no 'Open in Colab' badge pointing at {relative} in the first cells")
    if not code or source(code[0]) != setup_cell_source():
        found.append("the first code cell is not the course's setup cell (run ci/sync_notebooks.py)")
    for heading in ("Summary", "Exercises"):
        if not any(re.search(rf"^## {heading}\b", m, re.M) for m in markdown):
            found.append(f"no '## {heading}' section")

    counts = [c.get("execution_count") for c in code]
    if None in counts:
        found.append("some code cells have no stored output (not executed); run ci/execute.py")
    elif counts != list(range(1, len(code) + 1)):
        found.append(f"execution counts are {counts[:6]}..., not 1..{len(code)}: re-run top to bottom")
    for i, cell in enumerate(code, 1):
        text = source(cell)
        if CHECK_CALL.search(text):
            if not text.startswith(CHECK_CELL_TITLE + "\n"):
                found.append(f"code cell {i} checks claims but does not start with {CHECK_CELL_TITLE!r} "
                             "(run ci/sync_notebooks.py)")
            metadata = cell.get("metadata", {})
            if any(metadata.get(k) != v for k, v in CHECK_CELL_METADATA.items()):
                found.append(f"code cell {i} checks claims but is not collapsed (run ci/sync_notebooks.py)")
        if TIMED_CLAIM.search(text):
            found.append(f"code cell {i} checks a time or a speed: print it, and leave budgets to the benchmark")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"code cell {i} stores an error ({output.get('ename')})")
            match = LOCAL_PATH.search(output_text(output))
            if match:
                found.append(f"code cell {i} output contains a local path ({match.group(0)}...)")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv] or sorted((ROOT / "chapters").glob("*.ipynb"))
    bad = 0
    for path in paths:
        for problem in problems(path):
            print(f"{path.name}: {problem}")
            bad += 1
    print(f"checked {len(paths)} notebooks: {bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
