"""Notebook hygiene (ci/check_notebooks.py) and the link between prose and checked numbers."""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

from utils.course import CHECK_CELL_METADATA, CHECK_CELL_TITLE, colab_badge, setup_cell_source

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "ci"))
import check_notebooks  # noqa: E402
import sync_notebooks  # noqa: E402

NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
CLAIM = re.compile(r"check_claim\((.*?)\)\s*$", re.S | re.M)
NUMBER = re.compile(r"\b(claimed|at_most|at_least)=([-+]?\d[\d_]*\.?\d*(?:e[-+]?\d+)?)")


def test_there_are_chapters():
    assert NOTEBOOKS, "chapters/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_hygiene(path):
    assert check_notebooks.problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_checked_number_is_quoted_in_the_text(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    prose = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    prose = prose.replace(",", "")  # "173,428" in the text quotes 173428 in code
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for call in CLAIM.findall("".join(cell["source"])):
            for _, number in NUMBER.findall(call):
                assert number.replace("_", "") in prose, f"{path.name}: {number} is checked but not in the text"


def make_notebook(tmp_path: Path, cells, name="07_example.ipynb", executed=True) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and executed:
            count += 1
            cell.execution_count = count
    chapters = tmp_path / "chapters"
    chapters.mkdir(exist_ok=True)
    path = chapters / name
    nbformat.write(nb, path)
    return path


def good_cells(relative):
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    return [md(f"# Title\n\n{colab_badge(relative)}"), code(setup_cell_source()), code("print(1)"),
            md("## Summary\n\nx"), md("## Exercises\n\n1. y")]


@pytest.fixture
def fake_root(tmp_path, monkeypatch):
    monkeypatch.setattr(check_notebooks, "ROOT", tmp_path)
    return tmp_path


def test_hygiene_accepts_a_good_notebook(fake_root):
    assert check_notebooks.problems(make_notebook(fake_root, good_cells("chapters/07_example.ipynb"))) == []


def test_hygiene_catches_each_problem(fake_root):
    cells = good_cells("chapters/somewhere_else.ipynb")
    cells[0].source = cells[0].source.replace("# Title", "Title")
    cells[2].outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=[]),
                        nbformat.v4.new_output("stream", text="saved to /home/alice/data.txt")]
    del cells[4]
    found = "\n".join(check_notebooks.problems(make_notebook(fake_root, cells, name="Bad Name.ipynb")))
    for expected in ["file name", "H1 title", "Open in Colab", "Exercises", "stores an error", "local path"]:
        assert expected in found


def test_hygiene_catches_unexecuted_and_out_of_order_runs(fake_root):
    path = make_notebook(fake_root, good_cells("chapters/07_example.ipynb"), executed=False)
    assert any("not executed" in p for p in check_notebooks.problems(path))
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].execution_count, nb.cells[2].execution_count = 2, 1
    nbformat.write(nb, path)
    assert any("not 1..2" in p for p in check_notebooks.problems(path))


def test_hygiene_catches_a_changed_setup_cell(fake_root):
    cells = good_cells("chapters/07_example.ipynb")
    cells[1].source = "import utils"
    assert any("setup cell" in p for p in check_notebooks.problems(make_notebook(fake_root, cells)))


def test_every_leaderboard_entry_is_entered_by_its_chapter():
    from utils import leaderboard

    for entry in leaderboard.load():
        notebooks = list((ROOT / "chapters").glob(f"{entry['chapter']}_*.ipynb"))
        assert notebooks, f"no chapter {entry['chapter']} for leaderboard entry {entry['model']!r}"
        sources = "".join(
            "".join(c["source"]) for c in json.loads(notebooks[0].read_text())["cells"] if c["cell_type"] == "code"
        )
        assert f'"{entry["model"]}"' in sources, f"{notebooks[0].name} never enters {entry['model']!r}"


def test_hygiene_wants_claims_checked_in_collapsed_check_cells_and_sync_makes_them(fake_root, monkeypatch):
    cells = good_cells("chapters/07_example.ipynb")
    cells.insert(3, nbformat.v4.new_code_cell('utils.check_claim("ppl", ppl, claimed=6.09, tol=0.2)'))
    path = make_notebook(fake_root, cells)
    found = "\n".join(check_notebooks.problems(path))
    assert "does not start with" in found and "not collapsed" in found
    monkeypatch.setattr(sync_notebooks, "ROOT", fake_root)
    assert sync_notebooks.sync(path)
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[3].source.startswith(CHECK_CELL_TITLE + "\n") and nb.cells[3].source.endswith("tol=0.2)")
    assert all(nb.cells[3].metadata[k] == v for k, v in CHECK_CELL_METADATA.items())
    assert check_notebooks.problems(path) == []
    assert not sync_notebooks.sync(path)  # a second sync changes nothing


def test_hygiene_refuses_checks_on_times_and_speeds(fake_root):
    cells = good_cells("chapters/07_example.ipynb")
    timed = CHECK_CELL_TITLE + '\nutils.check_claim("training seconds", seconds, at_most=90)'
    cells.insert(3, nbformat.v4.new_code_cell(timed, metadata=CHECK_CELL_METADATA))
    found = check_notebooks.problems(make_notebook(fake_root, cells))
    assert any("time or a speed" in p for p in found)


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cells_hold_no_control_characters(path):
    """A backslash lost in a generator turns LaTeX's \\text or \\frac into a tab or a form feed."""
    nb = nbformat.read(path, as_version=4)
    bad = [i for i, cell in enumerate(nb.cells) if CONTROL.search(cell.source)]
    assert not bad, f"{path.name}: control characters in cells {bad}"
