"""Check the numbers that a chapter's prose quotes (used by every chapter).

A chapter that says "validation perplexity 6.09" prints the measured value in a cell the
reader sees, and checks it with ``check_claim`` in a collapsed *check cell* right after
(``utils.course.CHECK_CELL_TITLE``); if a later change moves the result outside the stated
tolerance, the cell raises and nbval fails in CI. The text quotes the measured value and the
check states how far a re-run may stray from it (``claimed=6.09, tol=0.2``); ``at_most`` and
``at_least`` are for claims that are bounds in the text too ("below 1e-5"). A test
(``tests/test_notebooks.py``) makes sure each claimed value also appears in the chapter's text.
"""

from __future__ import annotations


class ClaimError(AssertionError):
    """A number in the prose no longer matches what the code computes."""


def check_claim(name: str, value: float, *, claimed: float | None = None, tol: float | None = None,
                at_most: float | None = None, at_least: float | None = None) -> None:
    """Raise :class:`ClaimError` unless ``value`` is within ``tol`` of ``claimed`` and inside the bounds.

    Prints one line that says what was checked.
    """
    if claimed is None and at_most is None and at_least is None:
        raise ValueError("check_claim needs claimed= (with tol=), at_most= or at_least=")
    if claimed is not None and tol is None:
        raise ValueError("a claimed value needs a tolerance tol=")
    failures = []
    if claimed is not None and abs(value - claimed) > tol:
        failures.append(f"differs from the claimed {claimed} by more than {tol}")
    if at_most is not None and value > at_most:
        failures.append(f"is above the claimed bound {at_most}")
    if at_least is not None and value < at_least:
        failures.append(f"is below the claimed bound {at_least}")
    if failures:
        raise ClaimError(f"{name} = {value:.6g} " + " and ".join(failures) + "; update the text or fix the code.")
    stated = [f"{claimed} ± {tol}" if claimed is not None else None,
              f"≤ {at_most}" if at_most is not None else None,
              f"≥ {at_least}" if at_least is not None else None]
    shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:.4g}"
    print(f"✓ {name} = {shown} (text: {', '.join(s for s in stated if s)})")
