"""The project's promises about itself: pins, README, CI entry point, Colab URL."""

import re
import tomllib
from pathlib import Path

import yaml

from utils import course

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_installs_the_pinned_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-r requirements.txt" in pip_section
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=" + python.removeprefix("python=")


def test_requirements_are_pinned_and_cover_the_course():
    lines = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()]
    reqs = [ln for ln in lines if ln and not ln.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", r) for r in reqs), reqs
    names = {r.split("==")[0].lower() for r in reqs}
    assert {"tensorflow", "keras", "jupyterlab", "nbval", "matplotlib", "numpy", "pandas"} <= names
    assert "tensorflow==2.21.0" in reqs and any(r.startswith("keras==3.") for r in reqs)


def test_repository_url_is_defined_once_and_agrees():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["urls"]["Repository"] == course.REPO_URL
    assert course.REPO_URL in course.setup_cell_source()
    assert course.REPO_URL.rstrip("/").rsplit("/", 1)[1] == course.COLAB_CHECKOUT  # where `git clone` puts it
    assert course.colab_badge("chapters/x.ipynb").endswith(f"/blob/{course.BRANCH}/chapters/x.ipynb)")
    readme = (ROOT / "README.md").read_text()
    for url in re.findall(r"https://colab\.research\.google\.com/github/[^)\s]+", readme):
        assert url.startswith(course.colab_url("")), url


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
    run = [ln.strip() for ln in (ROOT / ".ci/run").read_text().splitlines()]
    commands = [ln for ln in run if ln and not ln.startswith("#")]
    assert commands[-1] == "make test"
    assert any(ln.startswith("export RNN_COURSE_MIRROR=") for ln in commands)


def test_nothing_but_ci_names_the_shared_folder():
    checked = [*ROOT.glob("utils/*.py"), *ROOT.glob("chapters/*.ipynb"), *ROOT.glob("ci/*.py"), ROOT / "Makefile"]
    offenders = [p.name for p in checked if "../shared" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_readme_chapter_table_matches_the_notebooks():
    import json

    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- chapters -->")[1]
    linked = re.findall(r"\[([^\]]+)\]\((chapters/[^)]+\.ipynb)\)", table)
    notebooks = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "chapters").glob("*.ipynb"))
    assert sorted(path for _, path in linked) == notebooks
    for title, path in linked:
        first = "".join(json.loads((ROOT / path).read_text())["cells"][0]["source"])
        assert first.startswith(f"# {title}\n"), (path, title)


def test_setup_cell_in_colab_clones_installs_and_imports(tmp_path, monkeypatch):
    """Run the setup cell as Colab would, with git and pip replaced by recorders."""
    import subprocess
    import sys
    import types

    calls = []

    def fake_run(command, check):
        calls.append(command)
        if command[:2] == ["git", "clone"]:
            (tmp_path / course.COLAB_CHECKOUT).mkdir()

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(subprocess, "run", fake_run)
    monkeypatch.setattr(sys, "path", list(sys.path))
    namespace = {}
    exec(course.setup_cell_source(), namespace)
    assert calls[0] == ["git", "clone", "--depth=1", course.REPO_URL]
    assert calls[1][-2:] == ["-r", f"{course.COLAB_CHECKOUT}/requirements-colab.txt"]
    assert sys.path[0] == course.COLAB_CHECKOUT and namespace["utils"].__name__ == "utils"
    assert (ROOT / "requirements-colab.txt").is_file()
    exec(course.setup_cell_source(), {})  # run again: the checkout exists, so no second clone
    assert [c[:2] for c in calls].count(["git", "clone"]) == 1


def test_setup_cell_outside_colab_only_imports(monkeypatch):
    import subprocess
    import sys

    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("ran a command")))
    namespace = {}
    exec(course.setup_cell_source(), namespace)
    assert namespace["utils"].__name__ == "utils"
