"""Plots in one consistent style, and a training plot that updates live (chapter 00).

``LivePlot`` redraws one figure in place while a model trains in Jupyter. Headless (under
CI, when ``CI`` or ``RNN_COURSE_HEADLESS`` is set, or outside IPython) it prints a few
concise text lines instead and shows the finished figure once at the end, so that stored
notebook outputs stay small and readable.
"""

from __future__ import annotations

import os
import time

import matplotlib as mpl
import matplotlib.pyplot as plt

HEADLESS_ENV = "RNN_COURSE_HEADLESS"
STYLE = {
    "figure.figsize": (6.0, 3.5),
    "figure.dpi": 80,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "font.size": 10,
}


def use_style() -> None:
    """Apply the course's plotting style to every later figure."""
    mpl.rcParams.update(STYLE)


def is_headless() -> bool:
    """True under CI, when ``RNN_COURSE_HEADLESS`` is set, or outside an IPython kernel."""
    if os.environ.get(HEADLESS_ENV, "").lower() in {"1", "true", "yes"}:
        return True
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        return True
    return not _in_notebook()


def plot_lines(x, ys: dict, xlabel: str = "", ylabel: str = "", logy: bool = False,
               title: str | None = None, ax=None, styles=None):
    """Plot several named series against ``x`` (or against their own index when ``x`` is None)."""
    use_style()
    if ax is None:
        _, ax = plt.subplots()
    for i, (label, y) in enumerate(ys.items()):
        xs = range(len(y)) if x is None else x
        ax.plot(xs, y, styles[i] if styles else "-", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if len(ys) > 1:
        ax.legend()
    return ax


class LivePlot:
    """A figure of named metrics against epochs that redraws as values arrive.

    Call ``update(x, name=value, ...)`` after each epoch and ``close()`` at the end.
    ``expected`` (the number of updates planned) lets headless mode print about
    ``text_lines`` evenly spaced lines rather than one per update. ``labels`` gives the
    legend a readable name for each metric, ``ylabel`` names the vertical axis and ``title``
    says what to look at.
    """

    def __init__(self, metrics=("train_ppl", "valid_ppl"), xlabel: str = "epoch", expected: int | None = None,
                 text_lines: int = 5, logy: bool = False, min_redraw_seconds: float = 0.5,
                 labels: dict | None = None, ylabel: str = "", title: str = ""):
        self.metrics = tuple(metrics)
        self.xlabel, self.ylabel, self.title = xlabel, ylabel, title
        self.labels = dict(labels or {})
        self.logy = logy
        self.values: dict[str, list] = {m: [] for m in self.metrics}
        self.xs: dict[str, list] = {m: [] for m in self.metrics}
        self.headless = is_headless()
        self.every = max(1, (expected or 1) // text_lines) if expected else 1
        self.updates = 0
        self.last_printed = None
        self.min_redraw_seconds = min_redraw_seconds
        self.last_redraw = 0.0
        self.handle = None

    def _line(self, x) -> str:
        parts = [f"{m} {self.values[m][-1]:.3f}" for m in self.metrics if self.xs[m] and self.xs[m][-1] == x]
        return f"{self.xlabel} {x}: " + ", ".join(parts)

    def update(self, x, **values) -> None:
        for name, value in values.items():
            if name not in self.values:
                self.values[name], self.xs[name] = [], []
                self.metrics += (name,)
            self.values[name].append(float(value))
            self.xs[name].append(x)
        self.updates += 1
        if self.headless:
            if self.updates == 1 or self.updates % self.every == 0:
                print(self._line(x))
                self.last_printed = x
        elif time.perf_counter() - self.last_redraw >= self.min_redraw_seconds:
            self._redraw()

    def _figure(self):
        use_style()
        fig, ax = plt.subplots()
        for m in self.metrics:
            if self.values[m]:
                ax.plot(self.xs[m], self.values[m], label=self.labels.get(m, m))
        ax.set_xlabel(self.xlabel)
        ax.set_ylabel(self.ylabel)
        if self.title:
            ax.set_title(self.title)
        if self.logy:
            ax.set_yscale("log")
        ax.legend()
        return fig

    def _redraw(self) -> None:
        from IPython.display import display

        fig = self._figure()
        if self.handle is None:
            self.handle = display(fig, display_id=True)
        else:
            self.handle.update(fig)
        plt.close(fig)
        self.last_redraw = time.perf_counter()

    def close(self) -> None:
        """Finish: the final text line when headless, then the finished figure."""
        last_x = next((self.xs[m][-1] for m in self.metrics if self.xs[m]), None)
        if self.headless:
            if last_x is not None and last_x != self.last_printed:
                print(self._line(last_x))
            if _in_notebook():
                from IPython.display import display

                fig = self._figure()
                display(fig)
                plt.close(fig)
        elif last_x is not None:
            self._redraw()


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def show_figure(name: str):
    """Display a diagram from ``chapters/figures/`` (an SVG drawn for the course).

    Found through the package's own location, so it works the same in Jupyter and Colab.
    """
    from IPython.display import SVG

    from utils.course import CHAPTERS

    path = CHAPTERS / "figures" / name
    if not path.is_file():
        raise FileNotFoundError(f"no figure {name!r} in chapters/figures/")
    return SVG(filename=str(path))
