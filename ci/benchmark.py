"""The benchmark command: every speed claim of the course, reprinted in one process.

Usage: python ci/benchmark.py [--quick] [--readme] [NOTEBOOK_OR_FOLDER ...]
       make benchmark          (full: runs every notebook, then the speed tables)
       make benchmark-quick    (under a minute; `make test` runs it after the notebooks)

1. Notebook run times against their budgets. The full mode executes every notebook (without
   writing it back); the quick mode reads the times that the last nbval run recorded
   (``build/notebook-times.json``, written by ``chapters/conftest.py``). The full mode fails
   with a clear message when a notebook exceeds its budget, when the median notebook takes
   longer than ``MEDIAN_BUDGET`` seconds, or when all of them together take longer than
   ``TOTAL_BUDGET``. The quick mode prints the same table and the same message but does not
   fail: it runs inside `make test`, which must pass on a loaded machine too (the course has
   no timed tests). ``--readme`` writes the table into README.md.
2. Training throughput of the character language models (RNN, LSTM, GRU) at the chapter
   sizes: the course's from-scratch model compiled, the same step eagerly, and the Keras
   layers, with the ratios the course targets (compiled >= 1.0 x Keras, >= 3 x eager).
3. The input pipeline on its own, so that one sees whether the model or the data is the
   bottleneck.
4. Chapter 20's comparison: one minGRU layer with each scan against Keras' GRU layer at several
   sequence lengths, and the training speed of the minGRU and deep-GRU language models.
5. Decoding speed of chapter 17's seq2seq model: greedy against beam search, sentences per second.

Speeds depend on the machine and on what else runs on it: run the full benchmark on a quiet
machine. Everything is measured in this one process, so that ratios are comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from execute import ROOT, execute, notebooks

sys.path.insert(0, str(ROOT))

TIMES_PATH = ROOT / "build" / "notebook-times.json"
DEFAULT_BUDGET = 120.0  # seconds on a 2-core CPU, unless the chapter's issue says otherwise
BUDGETS = {
    "11_long_term_dependencies.ipynb": 240.0,
    "12_deep_rnns.ipynb": 300.0,
    "14_char_rnn.ipynb": 420.0,
    "15_translation_data.ipynb": 300.0,
    "16_encoder_decoder.ipynb": 300.0,
    "17_seq2seq.ipynb": 300.0,
    "18_beam_search.ipynb": 300.0,
    "19_attention.ipynb": 300.0,
    "20_parallel_rnns.ipynb": 240.0,
}
MEDIAN_BUDGET = 90.0
TOTAL_BUDGET = 45 * 60.0  # the whole suite, unit tests included, excluding installation
README_START, README_END = "<!-- timings -->", "<!-- /timings -->"
# (cell, hidden units, batch size): the sizes of chapters 05-10 and of Part III's larger models.
THROUGHPUT_SIZES = [(cell, 32, 1024) for cell in ("rnn", "lstm", "gru")] + \
                   [(cell, 256, 128) for cell in ("rnn", "lstm", "gru")]


def budget(name: str) -> float:
    return BUDGETS.get(name, DEFAULT_BUDGET)


def notebook_table(times: dict[str, float]) -> tuple[list[str], list[str]]:
    """Markdown lines of the time table, and the list of broken budgets."""
    lines = ["| notebook | seconds | budget | within |", "|---|---:|---:|:---:|"]
    broken = []
    for name, seconds in sorted(times.items()):
        ok = seconds <= budget(name)
        lines.append(f"| {name} | {seconds:.0f} | {budget(name):.0f} | {'yes' if ok else 'NO'} |")
        if not ok:
            broken.append(f"{name} took {seconds:.0f} s, over its budget of {budget(name):.0f} s")
    median, total = statistics.median(times.values()), sum(times.values())
    lines.append(f"| median | {median:.0f} | {MEDIAN_BUDGET:.0f} | {'yes' if median <= MEDIAN_BUDGET else 'NO'} |")
    lines.append(f"| total | {total:.0f} | {TOTAL_BUDGET:.0f} | {'yes' if total <= TOTAL_BUDGET else 'NO'} |")
    if median > MEDIAN_BUDGET:
        broken.append(f"the median notebook takes {median:.0f} s, over {MEDIAN_BUDGET:.0f} s")
    if total > TOTAL_BUDGET:
        broken.append(f"all notebooks together take {total:.0f} s, over {TOTAL_BUDGET:.0f} s")
    return lines, broken


def measured_times(paths: list[Path]) -> tuple[dict[str, float], str]:
    times = {}
    for path in paths:
        times[path.name] = execute(path, write=False)
        print(f"  ran {path.name}: {times[path.name]:.1f} s", flush=True)
    return times, "measured by `make benchmark`"


def recorded_times() -> tuple[dict[str, float], str]:
    if not TIMES_PATH.exists():
        return {}, ""
    record = json.loads(TIMES_PATH.read_text(encoding="utf-8"))
    status = "" if record.get("complete") else ", an incomplete or failing run"
    where = f"{record['machine']}{status}"
    return record["seconds"], f"recorded by the nbval run of `make test` on {record['measured']} ({where})"


def write_readme(lines: list[str], source: str) -> None:
    import keras
    import tensorflow as tf

    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if README_START not in text:
        raise SystemExit(f"README.md has no {README_START} marker")
    header = (f"Notebook times {source}; written here on {time.strftime('%Y-%m-%d')} on {platform.machine()}, "
              f"{os.cpu_count()} CPU cores, no GPU; Python {platform.python_version()}, "
              f"TensorFlow {tf.__version__}, Keras {keras.__version__}.")
    before, rest = text.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    readme.write_text(f"{before}{README_START}\n{header}\n\n" + "\n".join(lines) + f"\n{README_END}{after}",
                      encoding="utf-8")
    print("README.md updated")


def throughput(quick: bool) -> None:
    from utils.speed import training_throughput

    print("\nTraining throughput, tokens per second (32 steps; the best of repeated runs):")
    print(f"| {'model':5s} | {'units':>5s} | {'batch':>5s} | {'compiled':>10s} | {'eager':>9s} | {'Keras':>10s} | "
          f"{'Keras unrolled':>14s} | {'compiled/Keras':>14s} | {'compiled/unrolled':>17s} | {'compiled/eager':>14s} |")
    print(f"|{'-' * 7}|{'-' * 7}|{'-' * 7}|{'-' * 12}|{'-' * 11}|{'-' * 12}|{'-' * 16}|{'-' * 16}|{'-' * 19}|"
          f"{'-' * 16}|")
    sizes = [s for s in THROUGHPUT_SIZES if s[1] == 32] if quick else THROUGHPUT_SIZES
    for cell, units, batch in sizes:
        r = training_throughput(cell, units, batch, 32, repeats=2 if quick else 3, steps=3 if quick else 10,
                                eager_steps=1 if quick else 3)
        print(f"| {cell:5s} | {units:5d} | {batch:5d} | {r['compiled']:10,.0f} | {r['eager']:9,.0f} | "
              f"{r['keras']:10,.0f} | {r['keras unrolled']:14,.0f} | {r['compiled / keras']:14.2f} | "
              f"{r['compiled / keras unrolled']:17.2f} | {r['compiled / eager']:14.2f} |", flush=True)
    print("Targets: compiled/Keras >= 1.0 and compiled/eager >= 3 (at 256 units the matrix products dominate and "
          "eager execution loses less). The from-scratch scan unrolls 32 steps, so the unrolled Keras layer is the "
          "like-for-like comparison.")


def input_pipeline(quick: bool) -> None:
    from utils import batching, text

    train_ids, _, _ = text.time_machine_corpus()
    print("\nThe input pipeline on its own (random batches of The Time Machine, one epoch after a warm-up):")
    for batch_size, num_steps in ((32, 32), (128, 64)):
        data = batching.random_batches(train_ids, batch_size, num_steps, seed=0)
        for _ in data:
            pass
        start = time.perf_counter()
        tokens = sum(int(X.shape[0] * X.shape[1]) for X, _ in data)
        print(f"  batches of {batch_size} x {num_steps}: {tokens / (time.perf_counter() - start):,.0f} tokens/s")
    print("  (compare with the training throughputs above: the pipeline is not the bottleneck when it is faster)")


def parallel_rnns(quick: bool) -> None:
    from utils import linear_rnn
    from utils.models import LanguageModel
    from utils.speed import model_throughput, scan_layer_times

    lengths = [256] if quick else [64, 256, 1024, 4096]
    print("\nOne recurrent layer, milliseconds per forward pass (batch 32, width 256; chapter 20):")
    rows = scan_layer_times(lengths, repeats=1 if quick else 2)
    names = list(rows[lengths[0]])
    print("| steps | " + " | ".join(names) + " |")
    print("|---:|" + "---:|" * len(names))
    for length, row in rows.items():
        print(f"| {length} | " + " | ".join(f"{row[name]:.1f}" for name in names) + " |")
    models = {"deep GRU, 2 x 256 (chapter 12)": LanguageModel(28, 256, cell="gru", num_layers=2, dropout=0.2),
              "minGRU, 3 blocks of 192 (chapter 20)": linear_rnn.MinGRULanguageModel(28, 192, 3, ffn_units=320)}
    speeds = {name: model_throughput(m, repeats=1 if quick else 3, steps=2 if quick else 5)
              for name, m in models.items()}
    print("Language-model training, characters per second (batch 32 x 64): "
          + ", ".join(f"{name} {cps:,.0f}" for name, cps in speeds.items())
          + f"; ratio {speeds[list(models)[1]] / speeds[list(models)[0]]:.2f}")


def decoding_speed(quick: bool) -> None:
    from utils import cache, seq2seq, translation

    corpus = translation.load()
    bos, eos = corpus.tgt_vocab["<bos>"], corpus.tgt_vocab["<eos>"]
    model = seq2seq.gru_seq2seq(len(corpus.src_vocab), len(corpus.tgt_vocab), seq2seq.CHAPTER_17)
    trained = cache.load("seq2seq_gru", seq2seq.CHAPTER_17, model) is not None
    sentences, _ = corpus.references("valid")
    sources, _ = corpus.encode_sources(sentences[: 100 if quick else None])
    print(f"\nDecoding {len(sources):,} validation sentences with chapter 17's model "
          f"({'trained, from the cache' if trained else 'untrained: run chapter 17 first for real output lengths'}), "
          "sentences per second (the second of two runs; the first traces):")
    methods = {"greedy": lambda: model.translate(sources, bos, eos, 20)}
    for beam in (2,) if quick else (2, 4, 8):
        methods[f"beam {beam}"] = lambda beam=beam: model.beam_translate(sources, bos, eos, 20, beam, alpha=1.0)
    for name, run in methods.items():
        run()
        start = time.perf_counter()
        run()
        print(f"  {name:7s} {len(sources) / (time.perf_counter() - start):8,.0f}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="use the recorded notebook times; fewer repeats")
    parser.add_argument("--readme", action="store_true", help="write the notebook table into README.md")
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    times, source = recorded_times() if args.quick else measured_times(notebooks(args.paths))
    broken = []
    if times:
        lines, broken = notebook_table(times)
        print(f"\nNotebook run times, {source}:")
        print("\n".join(lines))
        if args.readme:
            write_readme(lines, source)
    else:
        print(f"No notebook times recorded yet ({TIMES_PATH.relative_to(ROOT)}); run `make notebooks` first.")
    throughput(args.quick)
    input_pipeline(args.quick)
    parallel_rnns(args.quick)
    decoding_speed(args.quick)
    print(f"\nbenchmark finished in {time.perf_counter() - start:.0f} s")
    if broken:
        print("\nBUDGETS EXCEEDED:\n  " + "\n  ".join(broken))
        print("Make the notebook faster (fewer epochs, smaller models, a cached model from an earlier chapter), "
              "or raise its budget in ci/benchmark.py if its issue allows more.")
        if args.quick:
            print("(quick mode reports budgets without failing: times from a busy machine are not a verdict; "
                  "`make benchmark` on a quiet machine is)")
            return 0
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
