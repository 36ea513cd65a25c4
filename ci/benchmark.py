"""Time every notebook at its published settings and print a table.

Usage: python ci/benchmark.py [NOTEBOOK_OR_FOLDER ...]   (or `make benchmark`)

Notebooks are executed without writing them back. The budget per chapter is two
minutes on a 2-core CPU and twenty for the whole suite; the table says how each fares.
"""

from __future__ import annotations

import os
import platform
import sys

from execute import execute, notebooks

BUDGET_PER_NOTEBOOK = 120.0
BUDGET_TOTAL = 1200.0


def main(argv: list[str]) -> int:
    rows = []
    for path in notebooks(argv):
        rows.append((path.name, execute(path, write=False)))
        print(f"  ran {path.name}: {rows[-1][1]:.1f} s", flush=True)
    total = sum(s for _, s in rows)
    print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores\n")
    print(f"| {'notebook':38s} | {'seconds':>8s} | {'in budget':>12s} |")
    print(f"|{'-' * 40}|{'-' * 10}|{'-' * 14}|")
    for name, seconds in rows:
        print(f"| {name:38s} | {seconds:8.1f} | {'yes' if seconds <= BUDGET_PER_NOTEBOOK else 'NO':>12s} |")
    print(f"| {'total':38s} | {total:8.1f} | {'yes' if total <= BUDGET_TOTAL else 'NO':>12s} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
