#!/usr/bin/env bash
# The tuning goal of docs/benchmarks.md: xlrl tune on DQN CartPole-v1 with
# rl-zoo's search space (30 trials, each run at most 20k steps, TPE, median
# pruning; every trial trained on TRIAL_SEEDS seeds, its value the mean of
# their values, each run's value its OBJECTIVE: curve, the mean of its periodic
# evaluations over the budget, or final, its final evaluation), then the best configuration on 5 new seeds with
# xlrl sweep at the trials' own 20k-step budget (100 fresh evaluation
# episodes each; solved: mean >= 475).
#   bench/tune_cartpole.sh [OUT_DIR] [XLRL]
# env: JOBS (2), TRIAL_SEEDS (2), OBJECTIVE (curve), SWEEP_STEPS (empty: best.yaml's, 20000)
set -euo pipefail
out=${1:-runs/bench-tune-cartpole}
xlrl=${2:-bin/xlrl}
jobs=${JOBS:-2}
trial_seeds=${TRIAL_SEEDS:-2}
objective=${OBJECTIVE:-curve}
mkdir -p "$out"
"$xlrl" tune --env CartPole-v1 --algo dqn --backend go --trials 30 --budget-steps 20000 \
  --trial-seeds "$trial_seeds" --objective "$objective" --jobs "$jobs" --study cartpole-dqn --dir "$out/study" --json >"$out/tune.out" 2>"$out/tune.err"
steps=()
if [ -n "${SWEEP_STEPS:-}" ]; then steps=(--steps "$SWEEP_STEPS"); fi
"$xlrl" sweep --config "$out/study/best.yaml" "${steps[@]}" --seeds 101-105 --jobs "$jobs" \
  --dir "$out/sweep${SWEEP_STEPS:+-$SWEEP_STEPS}" --json >"$out/sweep.out" 2>"$out/sweep.err"
tail -n 1 "$out/tune.out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("tune:", r["trials"], "trials", r["states"], "best", r["best"]["value"], "wall_s", round(r["wall_s"]), "trials/h", round(r["trials_per_hour_here"], 1))'
tail -n 1 "$out/sweep.out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("sweep: solved", r["solved"], "of", r["seeds_done"], "mean", round(r["mean"], 1), "ci", round(r["ci95_low"], 1), round(r["ci95_high"], 1))'
