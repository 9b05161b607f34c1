// Package tune is what `xlrl tune` and `xlrl sweep` run: hyperparameter
// search with Optuna and multi-seed sweeps, where every trial and every
// seed is an ordinary `xlrl train` process with its own run directory.
//
// The Go host keeps the loop, the Python worker keeps the study: Run asks
// the worker's tune module for a trial's parameters (TPE sampler), starts
// `xlrl train` with them (Base.TrainArgs, the one place that knows train's
// flags), follows the run's metrics.jsonl and reports each periodic
// evaluation (the median pruner answers whether to stop the run), and tells
// the study how the trial ended. A trial whose process dies is failed and
// the study goes on; the worker fails trials left running by a dead tune
// process when the study is next asked for one.
package tune
