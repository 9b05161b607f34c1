package tabular

import (
	"bytes"
	"encoding/json"

	"github.com/xlrl/xlrl/internal/policy"
)

// Hyper is a full set of training hyperparameters: an entry of the tuned
// table (internal/agent/zoo). Its JSON names, which --hp takes, are the
// train flags' names with underscores (lr_end for --lr-end); the
// exploration's fields sit beside the others.
type Hyper struct {
	Episodes        int64
	LR, LREnd       float64 // LREnd > 0: linear decay from LR over LRDecayEpisodes
	LRDecayEpisodes int64
	Gamma           float64
	Explore         policy.Config
	EvalEpisodes    int
}

// hyperJSON is Hyper's JSON form.
type hyperJSON struct {
	Episodes        int64   `json:"episodes"`
	LR              float64 `json:"lr"`
	LREnd           float64 `json:"lr_end"`
	LRDecayEpisodes int64   `json:"lr_decay_episodes"`
	Gamma           float64 `json:"gamma"`
	EvalEpisodes    int     `json:"eval_episodes"`
	Explore         string  `json:"explore"`
	Schedule        string  `json:"schedule"`
	ExploreStart    float64 `json:"explore_start"`
	ExploreEnd      float64 `json:"explore_end"`
	DecaySteps      int64   `json:"decay_steps"`
	Decay           float64 `json:"decay"`
	UCBC            float64 `json:"ucb_c"`
}

// MarshalJSON writes h under the names of --hp.
func (h Hyper) MarshalJSON() ([]byte, error) {
	e := h.Explore
	return json.Marshal(hyperJSON{Episodes: h.Episodes, LR: h.LR, LREnd: h.LREnd, LRDecayEpisodes: h.LRDecayEpisodes,
		Gamma: h.Gamma, EvalEpisodes: h.EvalEpisodes, Explore: e.Kind, Schedule: e.Schedule, ExploreStart: e.Start,
		ExploreEnd: e.End, DecaySteps: e.DecaySteps, Decay: e.Decay, UCBC: e.C})
}

// UnmarshalJSON reads what MarshalJSON wrote; an unknown name is an error.
func (h *Hyper) UnmarshalJSON(b []byte) error {
	var j hyperJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return err
	}
	*h = Hyper{Episodes: j.Episodes, LR: j.LR, LREnd: j.LREnd, LRDecayEpisodes: j.LRDecayEpisodes, Gamma: j.Gamma,
		EvalEpisodes: j.EvalEpisodes, Explore: policy.Config{Kind: j.Explore, Schedule: j.Schedule, Start: j.ExploreStart,
			End: j.ExploreEnd, DecaySteps: j.DecaySteps, Decay: j.Decay, C: j.UCBC}}
	return nil
}
