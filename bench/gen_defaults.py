"""Each generative model's default training, timed, with its headline figure.

    .venv/bin/python bench/gen_defaults.py [--out DIR] [--json]

Runs, one after the other in this process: RealNVP, MAF on moons; RealNVP,
MAF (dequantised), MADE, VAE, GAN on digits; PGD adversarial training on
digits (with the standard model for comparison). ``--runs realnvp:moons,robust``
does only those. Prints a markdown table: training seconds (all epochs, the
first one's tracing included), steady examples per second, and the figures the
issue asks for.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pyworker.gen import service  # noqa: E402
from pyworker.gen.train import Progress  # noqa: E402

RUNS = [
    ("realnvp", "moons"),
    ("maf", "moons"),
    ("realnvp", "digits"),
    ("maf", "digits"),
    ("made", "digits"),
    ("vae", "digits"),
    ("gan", "digits"),
]


def figure(res: dict) -> str:
    if "test_nll" in res:
        out = (
            f"test NLL {res['test_nll']:.3f} ± {res['test_nll_stderr']:.3f} "
            f"(baseline {res['baseline_nll']:.3f})"
        )
        if "test_bits_per_dim" in res:
            out += (
                f"; {res['test_bits_per_dim']:.3f} bits/dim "
                f"(baseline {res['baseline_bits_per_dim']:.3f})"
            )
        if "test_nll_mc_stderr" in res:
            out += f"; Monte-Carlo part of the error {res['test_nll_mc_stderr']:.4f}"
        return out
    if "frechet_distance" in res:
        return (
            f"{res['classes_covered']}/10 classes, max {100 * res['max_class_fraction']:.1f}%, "
            f"Frechet {res['frechet_distance']:.2f} (train vs test "
            f"{res['frechet_train_vs_test']:.2f}), IS {res['inception_score']:.2f}"
        )
    return (
        f"clean {res['clean_accuracy']:.3f}, PGD-20 robust {res['robust_accuracy']:.3f}; "
        f"standard: clean {res['standard_clean_accuracy']:.3f}, "
        f"robust {res['standard_robust_accuracy']:.3f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out", default=None, help="parent of the run directories (default: a temp dir)"
    )
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--runs",
        default=None,
        help="comma-separated MODEL:DATA runs (and 'robust') to do, default all",
    )
    args = ap.parse_args()
    wanted = None if args.runs is None else set(args.runs.split(","))
    root = args.out or tempfile.mkdtemp(prefix="gen-defaults-")
    quiet = Progress(report=lambda **_: None)
    rows = []
    for model, data in RUNS:
        if wanted is not None and f"{model}:{data}" not in wanted:
            continue
        t0 = time.perf_counter()
        res = service.gen_train(
            run_dir=os.path.join(root, f"{model}-{data}"), model=model, data=data, progress=quiet
        )
        rows.append(
            {
                "run": f"gen train --model {model} --data {data}",
                "wall_s": round(time.perf_counter() - t0, 1),
                **res,
            }
        )
    if wanted is None or "robust" in wanted:
        t0 = time.perf_counter()
        res = service.robust_train(
            run_dir=os.path.join(root, "robust"),
            data="digits",
            attack="pgd",
            eps=0.1,
            progress=quiet,
        )
        rows.append(
            {
                "run": "robust train --attack pgd --eps 0.1 (+ standard model)",
                "wall_s": round(time.perf_counter() - t0, 1),
                **res,
            }
        )
    if args.json:
        print(json.dumps(rows))
        return
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs")
    print("| run | train s | ex/s | wall s (incl. eval) | result |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| `{r['run']}` | {r['train_seconds']:.1f} | {r['examples_per_s']:.0f} "
            f"| {r['wall_s']:.1f} | {figure(r)} |"
        )


if __name__ == "__main__":
    main()
