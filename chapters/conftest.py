"""Time every notebook while nbval runs it, print the times, and keep them for the benchmark.

nbval reports one test per cell; the kernel starts while the first cell is set up. Summing the
durations of a notebook's reports (set-up, call and tear-down) gives the notebook's run time.
At the end of the session the times are printed and written to ``build/notebook-times.json``,
which ``python ci/benchmark.py --quick`` reads to check every notebook against its budget.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections import defaultdict
from pathlib import Path

TIMES_PATH = Path(__file__).resolve().parents[1] / "build" / "notebook-times.json"
_seconds: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _seconds[Path(path).name] += report.duration


def pytest_sessionfinish(session, exitstatus):
    if not _seconds:
        return
    import keras
    import tensorflow as tf

    TIMES_PATH.parent.mkdir(exist_ok=True)
    record = {
        "measured": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, "
                   f"{len(tf.config.list_physical_devices('GPU'))} GPU",
        "versions": f"Python {platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}",
        "complete": exitstatus == 0,
        "seconds": dict(sorted(_seconds.items())),
    }
    TIMES_PATH.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def pytest_terminal_summary(terminalreporter):
    if not _seconds:
        return
    terminalreporter.section("notebook run times (set-up, kernel start and every cell)")
    for name, seconds in sorted(_seconds.items()):
        terminalreporter.write_line(f"{name:40s} {seconds:7.1f} s")
    terminalreporter.write_line(f"{'total':40s} {sum(_seconds.values()):7.1f} s")
