"""Write every chapter's Colab badge, setup cell and check-cell format from ``utils/course.py``.

Usage: python ci/sync_notebooks.py [NOTEBOOK ...]   (after changing REPO_URL, or when adding a chapter)

The badge goes right under the H1 title of the first cell; the setup cell is the first
code cell (inserted after the first Markdown cell if the notebook has none yet). Every code
cell that checks claims gets the check-cell title line and the metadata that collapses it.
Outputs are left alone, so a synced notebook needs no re-execution.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from check_notebooks import CHECK_CALL  # noqa: E402

from utils.course import CHECK_CELL_METADATA, CHECK_CELL_TITLE, colab_badge, setup_cell_source  # noqa: E402

BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def sync(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    badge = colab_badge(path.resolve().relative_to(ROOT).as_posix())
    title = nb.cells[0]
    if BADGE.search(title.source):
        title.source = BADGE.sub(badge, title.source)
    else:
        head, _, rest = title.source.partition("\n")
        title.source = f"{head}\n\n{badge}\n{rest}".rstrip() + "\n"
    code = [c for c in nb.cells if c.cell_type == "code"]
    if code and code[0].source.startswith("# Setup"):
        code[0].source = setup_cell_source()
    else:
        nb.cells.insert(1, nbformat.v4.new_code_cell(setup_cell_source()))
    for cell in code:
        if CHECK_CALL.search(cell.source):
            if not cell.source.startswith(CHECK_CELL_TITLE + "\n"):
                body = cell.source.split("\n", 1)[1] if cell.source.startswith("# @title") else cell.source
                cell.source = CHECK_CELL_TITLE + "\n" + body
            for key, value in CHECK_CELL_METADATA.items():
                cell.metadata[key] = value
    changed = nbformat.writes(nb) != before
    if changed:
        nbformat.write(nb, path)
    return changed


if __name__ == "__main__":
    for nb_path in [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "chapters").glob("*.ipynb")):
        print(f"{nb_path.name}: {'updated' if sync(nb_path) else 'in sync'}")
