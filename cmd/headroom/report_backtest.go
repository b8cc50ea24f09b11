package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/headroom-dev/headroom/review/record"
	"github.com/headroom-dev/headroom/scenarios"
)

// maxBacktestBytes bounds a backtest result read by report (14 days at
// one-minute steps for 100 services is about 400 MB of series; a result
// beyond this is not one headroom wrote for a review).
const maxBacktestBytes = 512 << 20

// loadBacktest reads a `headroom backtest -o json` result for the report:
// strictly (unknown fields are errors), with a known verdict and every
// service in the plan.
func loadBacktest(p *scenarios.Plan, file string, stdin io.Reader) (*record.Backtest, error) {
	name, data, err := scenarios.ReadFile("backtest result", file, stdin, maxBacktestBytes)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	bt := &record.Backtest{}
	if err := dec.Decode(bt); err != nil {
		return nil, fmt.Errorf("%s: not a headroom backtest result: %w", name, err)
	}
	switch bt.Verdict {
	case record.BacktestAgrees, record.BacktestDisagrees, record.BacktestIncomplete:
	default:
		return nil, fmt.Errorf("%s: verdict %q is not %s, %s or %s", name, bt.Verdict, record.BacktestAgrees, record.BacktestDisagrees, record.BacktestIncomplete)
	}
	if !bt.End.After(bt.Start) || !(bt.StepSeconds > 0) {
		return nil, fmt.Errorf("%s: the window %s to %s at %gs steps is empty", name, bt.Start, bt.End, bt.StepSeconds)
	}
	for i, s := range bt.Services {
		if p.Service(s.Service) == nil {
			return nil, fmt.Errorf("%s: services[%d] %q is not a service of the plan %s; backtest the plan being reviewed", name, i, s.Service, p.File())
		}

	}
	return bt, nil
}
