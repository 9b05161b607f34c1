#!/usr/bin/env bash
# The tuning goal of docs/benchmarks.md: xlrl tune on DQN CartPole-v1 with
# rl-zoo's search space (30 trials, each run at most 20k steps, TPE, median
# pruning; every trial trained on TRIAL_SEEDS seeds, its value their TRIAL_VALUE
# (mean or min), each run's value its OBJECTIVE: final, its final evaluation, or
# curve, the mean of its periodic evaluations over the budget), then the best
# configuration on 5 new seeds (101-105) with xlrl sweep, once for each budget
# of SWEEP_STEPS (100 fresh evaluation episodes each; solved: mean >= 475).
# A trial that leads the study trains on CONFIRM_SEEDS more seeds before it is
# told (xlrl tune --confirm-seeds), so that no trial wins on its first few.
#   bench/tune_cartpole.sh [OUT_DIR] [XLRL]
# env: JOBS (2), TRIAL_SEEDS (3), CONFIRM_SEEDS (3), TRIAL_VALUE (mean), OBJECTIVE (final), PRUNE_WARMUP
#      (the fraction of a trial's budget before the median pruner may stop it; xlrl tune's default, a third),
#      EVALUATIONS (periodic evaluations per trial; default: every 1,024 steps),
#      SWEEP_STEPS ("20000 50000": the trials' budget and rl-zoo's CartPole DQN budget)
set -euo pipefail
out=${1:-runs/bench-tune-cartpole}
xlrl=${2:-bin/xlrl}
jobs=${JOBS:-2}
trial_seeds=${TRIAL_SEEDS:-3}
confirm_seeds=${CONFIRM_SEEDS:-3}
trial_value=${TRIAL_VALUE:-mean}
objective=${OBJECTIVE:-final}
sweep_steps=${SWEEP_STEPS:-20000 50000}
extra=()
if [ -n "${PRUNE_WARMUP:-}" ]; then extra=(--prune-warmup "$PRUNE_WARMUP"); fi
if [ -n "${EVALUATIONS:-}" ]; then extra+=(--evaluations "$EVALUATIONS"); fi
mkdir -p "$out"
"$xlrl" tune --env CartPole-v1 --algo dqn --backend go --trials 30 --budget-steps 20000 \
  --trial-seeds "$trial_seeds" --confirm-seeds "$confirm_seeds" --trial-value "$trial_value" --objective "$objective" "${extra[@]}" --jobs "$jobs" \
  --study cartpole-dqn --dir "$out/study" --json >"$out/tune.out" 2>"$out/tune.err" ||
  { tail -n 5 "$out/tune.err" >&2; exit 1; }
tail -n 1 "$out/tune.out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("tune:", r["trials"], "trials", r["states"], "best", round(r["best"]["value"], 1), "wall_s", round(r["wall_s"]), "trials/h", round(r["trials_per_hour_here"], 1))'
for steps in $sweep_steps; do
  "$xlrl" sweep --config "$out/study/best.yaml" --steps "$steps" --seeds 101-105 --jobs "$jobs" \
    --dir "$out/sweep-$steps" --json >"$out/sweep-$steps.out" 2>"$out/sweep-$steps.err" ||
    { tail -n 5 "$out/sweep-$steps.err" >&2; exit 1; }
  tail -n 1 "$out/sweep-$steps.out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("sweep at", sys.argv[1], "steps: solved", r["solved"], "of", r["seeds_done"], [round(x["mean_return"], 1) for x in r["runs"]], "mean", round(r["mean"], 1), "ci", round(r["ci95_low"], 1), round(r["ci95_high"], 1))' "$steps"
done
