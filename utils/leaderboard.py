"""The course's running leaderboard of character language models (opened in chapter 03).

Every language-model chapter (03, 05, 06, 09, 10, 12) trains on the standard split of
*The Time Machine* (first 90% of characters train, last 10% validate) and enters its
validation perplexity here. The entries live in ``chapters/leaderboard.json``, each with
the tolerance within which a re-run must reproduce it.

Protocol: perplexity is ``exp`` of the mean per-character cross-entropy on the validation
characters. n-gram models (chapter 03) predict each character from its n - 1 predecessors;
recurrent models read the validation text in windows of ``num_steps`` characters (32 in
chapters 05 and 06), each window starting from a zero state.

In a chapter::

    leaderboard.enter("05", "RNN from scratch, 32 hidden units", valid_ppl)
    leaderboard.table(through="05")

``enter`` checks the measured value against the stored one and fails (like
``utils.check_claim``) when it drifts beyond the tolerance. To record a new or changed
result, an author re-executes the chapter with ``RNN_COURSE_RECORD_LEADERBOARD=1``; the
measured value is then written to the file instead of checked.
"""

from __future__ import annotations

import json
import os

from utils.claims import check_claim
from utils.course import ROOT

LEADERBOARD_PATH = ROOT / "chapters" / "leaderboard.json"
RECORD_ENV = "RNN_COURSE_RECORD_LEADERBOARD"
DEFAULT_TOLERANCE = 0.1


def load() -> list[dict]:
    """All entries, in the order they were recorded."""
    if not LEADERBOARD_PATH.exists():
        return []
    return json.loads(LEADERBOARD_PATH.read_text(encoding="utf-8"))


def _save(entries: list[dict]) -> None:
    entries = sorted(entries, key=lambda e: (e["chapter"], e["model"]))
    LEADERBOARD_PATH.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")


def enter(chapter: str, model: str, valid_ppl: float, tol: float = DEFAULT_TOLERANCE) -> None:
    """Check ``valid_ppl`` against the stored entry for ``(chapter, model)`` (or record it)."""
    entries = load()
    stored = next((e for e in entries if e["chapter"] == chapter and e["model"] == model), None)
    if os.environ.get(RECORD_ENV, "").lower() in {"1", "true", "yes"}:
        entries = [e for e in entries if e is not stored]
        entries.append({"chapter": chapter, "model": model, "valid_ppl": round(float(valid_ppl), 2), "tol": tol})
        _save(entries)
        print(f"recorded: chapter {chapter}, {model}: validation perplexity {valid_ppl:.2f}")
        return
    if stored is None:
        raise KeyError(
            f"the leaderboard has no entry for chapter {chapter!r}, model {model!r}; re-execute the chapter "
            f"with {RECORD_ENV}=1 to record it"
        )
    check_claim(f"leaderboard: {model}", float(valid_ppl), claimed=stored["valid_ppl"], tol=stored["tol"])


def table(through: str | None = None):
    """The entries of chapters up to ``through`` (all if None), best first, as a DataFrame."""
    import pandas as pd

    rows = [e for e in load() if through is None or e["chapter"] <= through]
    frame = pd.DataFrame(rows, columns=["chapter", "model", "valid_ppl", "tol"])
    frame = frame.sort_values("valid_ppl").reset_index(drop=True)
    frame.index += 1
    return frame.rename(columns={"valid_ppl": "validation perplexity", "tol": "tolerance"})
