"""The course's running leaderboard of character language models (opened in chapter 03).

Every language-model chapter (03, 05, 06, 09, 10, 12) trains on the standard split of
*The Time Machine* (first 90% of characters train, last 10% validate) and enters its
validation perplexity here. The entries live in ``chapters/leaderboard.json``, each with
the tolerance within which a re-run must reproduce it.

Protocol (``PROTOCOL``): perplexity is ``exp`` of the mean per-character cross-entropy on
the same validation characters for every model, the 17,339 from the fifth on. Each is
predicted with all the context a model can use: an n-gram model from its n - 1
predecessors; a recurrent model reads the validation text as ``batching.validation_rows``
lays it out, eight long rows with the state carried along each row, so it predicts every
character from everything before it in its row (at least 64 characters, except the first
few of the text, which have 4 as for the n-grams). The validation data never change between
epochs or models.

In a chapter::

    leaderboard.enter("05", "RNN from scratch", valid_ppl, params=2876, budget="60 epochs, 9.3M characters")
    leaderboard.table(through="05")

``enter`` checks the measured value against the stored one and fails (like
``utils.check_claim``) when it drifts beyond the tolerance. To record a new or changed
result, an author re-executes the chapter with ``RNN_COURSE_RECORD_LEADERBOARD=1``; the
measured value is then written to the file, and the run prints the same check line as any
other, so its outputs can be committed as they are.
"""

from __future__ import annotations

import json
import os

from utils.claims import check_claim
from utils.course import ROOT

LEADERBOARD_PATH = ROOT / "chapters" / "leaderboard.json"
RECORD_ENV = "RNN_COURSE_RECORD_LEADERBOARD"
DEFAULT_TOLERANCE = 0.1
PROTOCOL = ("The Time Machine, characters; first 90% train, last 10% validate; perplexity on the 17,339 "
            "validation characters from the 5th on, each predicted from all earlier text in its row")


def load() -> list[dict]:
    """All entries, in the order they were recorded."""
    if not LEADERBOARD_PATH.exists():
        return []
    return json.loads(LEADERBOARD_PATH.read_text(encoding="utf-8"))


def _save(entries: list[dict]) -> None:
    entries = sorted(entries, key=lambda e: (e["chapter"], e["model"]))
    LEADERBOARD_PATH.write_text(json.dumps(entries, indent=2) + "\n", encoding="utf-8")


def enter(chapter: str, model: str, valid_ppl: float, tol: float = DEFAULT_TOLERANCE,
          params: int | None = None, budget: str | None = None) -> None:
    """Check ``valid_ppl`` against the stored entry for ``(chapter, model)`` (or record it).

    ``params`` (the number of parameters, or of counted n-grams) and ``budget`` (how it was
    trained, in epochs and characters) are stored with a recorded entry and shown in the table.
    """
    entries = load()
    stored = next((e for e in entries if e["chapter"] == chapter and e["model"] == model), None)
    if os.environ.get(RECORD_ENV, "").lower() in {"1", "true", "yes"}:
        entries = [e for e in entries if e is not stored]
        entries.append({"chapter": chapter, "model": model, "params": params, "budget": budget,
                        "valid_ppl": round(float(valid_ppl), 2), "tol": tol})
        _save(entries)
        stored = entries[-1]  # a recording run then prints the same check line as any other run
    if stored is None:
        raise KeyError(
            f"the leaderboard has no entry for chapter {chapter!r}, model {model!r}; re-execute the chapter "
            f"with {RECORD_ENV}=1 to record it"
        )
    for key, value in (("params", params), ("budget", budget)):
        if value is not None and stored.get(key) != value:
            raise ValueError(f"leaderboard entry {model!r} was recorded with {key}={stored.get(key)!r}, not {value!r}; "
                             f"re-execute the chapter with {RECORD_ENV}=1 after a deliberate change")
    check_claim(f"leaderboard: {model}", float(valid_ppl), claimed=stored["valid_ppl"], tol=stored["tol"])


def table(through: str | None = None):
    """The entries of chapters up to ``through`` (all if None), best first, as a DataFrame.

    Prints the protocol in one line above it.
    """
    import pandas as pd

    print(f"Protocol: {PROTOCOL}.")
    rows = [e for e in load() if through is None or e["chapter"] <= through]
    frame = pd.DataFrame(rows, columns=["chapter", "model", "params", "budget", "valid_ppl", "tol"])
    frame = frame.sort_values("valid_ppl").reset_index(drop=True)
    frame.index += 1
    frame["params"] = frame["params"].map(lambda n: "" if n is None or pd.isna(n) else f"{int(n):,}")
    frame["budget"] = frame["budget"].map(lambda b: b if isinstance(b, str) else "")
    return frame.rename(columns={"params": "parameters", "budget": "training",
                                 "valid_ppl": "validation perplexity", "tol": "tolerance"})
