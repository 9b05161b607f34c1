// Package xlrl is reinforcement learning in Go with an optional Python
// (TensorFlow) worker: environments, tabular and deep agents, exact
// solvers for tabular models, and training runs that write a run
// directory (config.yaml, metrics.jsonl, checkpoints, plots).
//
// Environments: implement Env (and Model, for exact solutions and "% of
// optimal"), register it with RegisterEnv, and every part of xlrl, the
// command line of package cli included, finds it by id.
//
// Gymnasium environments: ids of the form "gym:CartPole-v1" (any id
// registered with Gymnasium) or "gym:package.module:Name" (a class or
// factory the worker's Python imports from PYTHONPATH, never from the
// working directory) are hosted by the Python worker, which starts on the
// first such id; MakeEnv, LookupEnv, NewAgent and Train take them like
// any other id (see ConfigureGym and WithKwarg).
//
// Agents: every algorithm is a Learner (NewAgent by name with the
// environment's tuned defaults, or NewTabular, NewDQN, NewREINFORCE, NewA2C with a typed
// config). Learn trains it, Act gives its greedy action, Evaluate measures
// it on fresh episodes, Save and Load keep it.
//
// Runs: Train does everything `xlrl train` does and Load returns the agent
// of a finished run, ready to act (no Python for agents trained on the go
// backend).
package xlrl
