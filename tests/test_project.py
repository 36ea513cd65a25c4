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
