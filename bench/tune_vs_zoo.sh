#!/usr/bin/env bash
# Trials per hour, side by side in one run: xlrl tune against rl-baselines3-zoo's
# --optimize on the same trials: TRIALS points drawn once from rl_zoo3 2.9.2's
# sample_dqn_params (bench/tune_points.py) and enqueued into each tool's own
# Optuna journal study, so both train exactly the same configurations (each
# tool's sampler would draw different points, and a trial's cost depends on
# its point more than on the tool). The same budget (20k steps per trial), one
# trial at a time, evaluating every 1,024 steps (rl-zoo: --n-evaluations 19)
# on 20 episodes, no pruning (the two pruners' start-up rules differ; with
# the same points and no pruning both train every trial to the end).
#   bench/tune_vs_zoo.sh [TRIALS] [OUT_DIR]
# needs rl_zoo3 in its own venv, with pandas (rl-zoo writes its trials as CSV at the end):
#   python3 -m venv /work/sb3venv && /work/sb3venv/bin/pip install rl_zoo3 pandas
set -euo pipefail
trials=${1:-8}
out=${2:-runs/bench-tune-vs-zoo}
zoo=${ZOO_PYTHON:-/work/sb3venv/bin/python}
xlrl=${XLRL:-bin/xlrl}
py=${XLRL_PYTHON:-.venv/bin/python}
rm -rf "$out" && mkdir -p "$out/xlrl" "$out/zoo"
"$py" bench/tune_points.py --trials "$trials" --seed 1 --xlrl "$out/xlrl/study.journal" --json >"$out/points.json"
"$zoo" bench/tune_points.py --trials "$trials" --seed 1 --zoo "$out/zoo/study.log"
t0=$(date +%s.%N)
"$xlrl" tune --env CartPole-v1 --algo dqn --backend go --trials "$trials" --budget-steps 20000 \
  --space bench/tune_zoo_dqn_space.yaml --pruner none --study vs-zoo --storage "$out/xlrl/study.journal" \
  --dir "$out/xlrl" --json >"$out/xlrl.out" 2>"$out/xlrl.err"
t1=$(date +%s.%N)
"$zoo" -m rl_zoo3.train --algo dqn --env CartPole-v1 -optimize --n-trials "$trials" --n-jobs 1 \
  --n-timesteps 20000 --sampler tpe --pruner none --n-evaluations 19 --eval-episodes 20 --no-optim-plots \
  --storage "$out/zoo/study.log" --study-name vs-zoo --seed 1 --log-folder "$out/zoo" >"$out/zoo.out" 2>"$out/zoo.err"
t2=$(date +%s.%N)
"$zoo" - "$t0" "$t1" "$t2" "$trials" "$out" <<'PY'
import json, sys
import optuna
from optuna.storages.journal import JournalFileBackend
t0, t1, t2, n = map(float, sys.argv[1:5])
out = sys.argv[5]
x, z = n / ((t1 - t0) / 3600), n / ((t2 - t1) / 3600)
zs = optuna.load_study(study_name="vs-zoo", storage=optuna.storages.JournalStorage(JournalFileBackend(f"{out}/zoo/study.log")))
xr = json.loads(open(f"{out}/xlrl.out").read().strip().splitlines()[-1])
zoo_vals = [t.value for t in sorted(zs.trials, key=lambda t: t.number)]
xl_vals = [t["value"] for t in sorted(xr["table"], key=lambda t: t["number"])]
print(f"xlrl tune: {n:.0f} trials in {t1 - t0:.0f} s = {x:.1f} trials/h; values {xl_vals}")
print(f"rl-zoo --optimize: {n:.0f} trials in {t2 - t1:.0f} s = {z:.1f} trials/h; values {zoo_vals}")
print(f"ratio: {x / z:.1f}x")
print(json.dumps({"trials": n, "xlrl_s": t1 - t0, "zoo_s": t2 - t1, "xlrl_trials_per_hour": x,
                  "zoo_trials_per_hour": z, "ratio": x / z, "xlrl_values": xl_vals, "zoo_values": zoo_vals}))
PY
