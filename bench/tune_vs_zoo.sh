#!/usr/bin/env bash
# Trials per hour, side by side in one run: xlrl tune against rl-baselines3-zoo's
# --optimize on the same search space (rl_zoo3 2.9.2's sample_dqn_params, given
# to xlrl as bench/tune_zoo_dqn_space.yaml), the same budget (20k steps per trial), TPE and
# the median pruner, one trial at a time, evaluating every 1,024 steps on 20
# episodes (rl-zoo: --n-evaluations 19 --eval-episodes 20).
#   bench/tune_vs_zoo.sh [TRIALS] [OUT_DIR]
# needs rl_zoo3 in its own venv, with pandas (rl-zoo writes its trials as CSV at the end):
#   python3 -m venv /work/zoovenv && /work/zoovenv/bin/pip install rl_zoo3 pandas
set -euo pipefail
trials=${1:-6}
out=${2:-runs/bench-tune-vs-zoo}
zoo=${ZOO_PYTHON:-/work/zoovenv/bin/python}
xlrl=${XLRL:-bin/xlrl}
rm -rf "$out" && mkdir -p "$out"
t0=$(date +%s.%N)
"$xlrl" tune --env CartPole-v1 --algo dqn --backend go --trials "$trials" --budget-steps 20000 \
  --space bench/tune_zoo_dqn_space.yaml --study vs-zoo --dir "$out/xlrl" --json >"$out/xlrl.out" 2>"$out/xlrl.err"
t1=$(date +%s.%N)
"$zoo" -m rl_zoo3.train --algo dqn --env CartPole-v1 -optimize --n-trials "$trials" --n-jobs 1 \
  --n-timesteps 20000 --sampler tpe --pruner median --n-evaluations 19 --eval-episodes 20 --no-optim-plots \
  --seed 1 --log-folder "$out/zoo" >"$out/zoo.out" 2>"$out/zoo.err"
t2=$(date +%s.%N)
python3 - "$t0" "$t1" "$t2" "$trials" <<'PY'
import sys
t0, t1, t2, n = map(float, sys.argv[1:])
x, z = n / ((t1 - t0) / 3600), n / ((t2 - t1) / 3600)
print(f"xlrl tune: {n:.0f} trials in {t1 - t0:.0f} s = {x:.1f} trials/h")
print(f"rl-zoo --optimize: {n:.0f} trials in {t2 - t1:.0f} s = {z:.1f} trials/h")
print(f"ratio: {x / z:.1f}x")
PY
