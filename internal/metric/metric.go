// Package metric is the one table of the names a training run reports:
// the kinds of the records of metrics.jsonl and the keys of their values,
// which TensorBoard shows and the plots read. Every writer in Go uses
// these constants; the plot request sends the worker the names it draws
// (Plot), so that Python keeps no list of its own. It imports nothing.
package metric

// Record kinds: the "kind" of a line of metrics.jsonl.
const (
	KindEpisode = "episode" // one finished training episode
	KindUpdate  = "update"  // one gradient or Q update, or a logged batch of them
	KindEval    = "eval"    // a periodic evaluation of the greedy (deterministic) policy
)

// Keys of episode records.
const (
	Episode     = "episode"       // episode index over the run, from 1
	Return      = "return"        // undiscounted return of the episode
	Length      = "length"        // episode length in environment steps
	StepsPerSec = "steps_per_sec" // environment steps per second since the previous record
)

// Keys of update records. An agent reports those that apply to it.
const (
	Loss         = "loss"          // training loss of the update (PPO: its total loss; SAC, TD3: the critics')
	Epsilon      = "epsilon"       // DQN: exploration rate at this step
	MeanQ        = "mean_q"        // DQN: mean of max_a Q_target(s', a) over the bootstrapping rows; SAC, TD3: mean of the first critic on the batch
	MaxQ         = "max_q"         // DQN: max of max_a Q_target(s', a) over the bootstrapping rows
	PolicyLoss   = "policy_loss"   // PPO: clipped surrogate loss
	ValueLoss    = "value_loss"    // PPO: value regression loss
	Entropy      = "entropy"       // PPO: mean policy entropy; SAC: -mean log pi
	ApproxKL     = "approx_kl"     // PPO: mean of (r - 1) - log r over the minibatches
	ClipFraction = "clip_fraction" // PPO: fraction of rows whose ratio left [1-eps, 1+eps]
	CriticLoss   = "critic_loss"   // SAC, TD3: mean squared Bellman error of both critics
	ActorLoss    = "actor_loss"    // SAC, TD3: the actor's loss
	Temperature  = "ent_coef"      // SAC: the entropy temperature alpha
	LR           = "learning_rate" // PPO: the learning rate of the update (schedules)
)

// Keys of eval records and of the periodic-evaluation hook.
const (
	EvalMean = "eval_mean" // mean return of the evaluation episodes
	EvalStd  = "eval_std"  // standard deviation of their returns (where the agent reports it)
	// TrainMean is the mean return of the last 100 training episodes; the
	// periodic-evaluation hook reports it, metrics.jsonl does not.
	TrainMean = "train_mean"
)

// Plot is what the worker's plot.runs draws, by the role each name plays
// in the figure (the roles are the worker's parameter names): the returns
// of the training episodes and of the periodic evaluations, the Q-values
// progression and the loss trajectory.
func Plot() map[string]string {
	return map[string]string{
		"episode_kind": KindEpisode, "update_kind": KindUpdate, "eval_kind": KindEval,
		"episode_return": Return, "eval_mean": EvalMean, "eval_std": EvalStd,
		"mean_q": MeanQ, "max_q": MaxQ, "loss": Loss,
	}
}
