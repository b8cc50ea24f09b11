package loadtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

type watchCPUFunc func(context.Context, time.Time) (float64, error)

func (f watchCPUFunc) CPU(ctx context.Context, t time.Time) (float64, error) { return f(ctx, t) }

// watchScale is a ScaleReader that returns the same state (or error).
type watchScale struct {
	state ScaleState
	err   error
}

func (s watchScale) ReadScale(context.Context) (ScaleState, error) { return s.state, s.err }

// watchHPA is an autoscaled workload: 5 replicas, 4 ready, the HPA wants 7.
var watchHPA = watchScale{state: ScaleState{DesiredReplicas: 7, CurrentReplicas: 5, ReadyReplicas: 4,
	Metrics: map[string]float64{"resource/cpu": 91, "pods/http_requests_per_second": 120.5}}}

func TestWatcher_Sample(t *testing.T) {
	start := time.Date(2026, 8, 21, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		w       Watcher
		want    WatchSample
		wantErr string
	}{
		{name: "scale and cpu",
			w: Watcher{Scale: watchHPA, CPU: watchCPUFunc(func(context.Context, time.Time) (float64, error) { return 2.25, nil })},
			want: WatchSample{Offset: 30, DesiredReplicas: 7, CurrentReplicas: 5, ReadyReplicas: 4, CPUCores: 2.25,
				Metrics: map[string]float64{"resource/cpu": 91, "pods/http_requests_per_second": 120.5}}},
		{name: "no cpu source", w: Watcher{Scale: watchScale{state: ScaleState{DesiredReplicas: 5, CurrentReplicas: 5, ReadyReplicas: 4}}},
			want: WatchSample{Offset: 30, DesiredReplicas: 5, CurrentReplicas: 5, ReadyReplicas: 4}},
		{name: "scale read fails", w: Watcher{Scale: watchScale{err: errors.New("deployment noa-server/noa-mcp: not found")}},
			wantErr: "deployment noa-server/noa-mcp"},
		{name: "cpu source fails",
			w:       Watcher{Scale: watchHPA, CPU: watchCPUFunc(func(context.Context, time.Time) (float64, error) { return 0, errors.New("prometheus down") })},
			wantErr: "cpu: prometheus down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.w
			w.now = func() time.Time { return start.Add(30 * time.Second) }
			got, err := w.Sample(context.Background(), start)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Offset != tc.want.Offset || got.DesiredReplicas != tc.want.DesiredReplicas || got.CurrentReplicas != tc.want.CurrentReplicas ||
				got.ReadyReplicas != tc.want.ReadyReplicas || got.CPUCores != tc.want.CPUCores || len(got.Metrics) != len(tc.want.Metrics) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for k, v := range tc.want.Metrics {
				if got.Metrics[k] != v {
					t.Errorf("metric %s = %v, want %v", k, got.Metrics[k], v)
				}
			}
		})
	}
}

func TestWatcher_RunSamplesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	w := &Watcher{Scale: watchHPA, Period: time.Millisecond,
		CPU: watchCPUFunc(func(context.Context, time.Time) (float64, error) {
			calls++
			if calls == 3 {
				cancel()
			}
			return float64(calls), nil
		})}
	got := w.Run(ctx, time.Now())
	if len(got) != 2 {
		t.Fatalf("%d samples, want the 2 taken before the cancel", len(got))
	}
	if got[0].CPUCores != 1 || got[1].CPUCores != 2 || got[1].DesiredReplicas != 7 {
		t.Errorf("samples %+v", got)
	}
}

// watchEngineFunc is an Engine from a function.
type watchEngineFunc func(context.Context, RunSpec) (*Result, error)

func (watchEngineFunc) Name() string                                             { return "func" }
func (f watchEngineFunc) Run(ctx context.Context, spec RunSpec) (*Result, error) { return f(ctx, spec) }

func TestRunWatched(t *testing.T) {
	w := &Watcher{Scale: watchHPA, Period: time.Millisecond}
	before := time.Now()
	eng := watchEngineFunc(func(ctx context.Context, _ RunSpec) (*Result, error) {
		time.Sleep(20 * time.Millisecond)
		// The engine's clock starts 1 s before the watcher's: offsets shift.
		return &Result{Start: before.Add(-time.Second)}, nil
	})
	res, err := RunWatched(context.Background(), eng, RunSpec{}, w)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Watch) < 2 {
		t.Fatalf("%d samples in 20 ms at a 1 ms period", len(res.Watch))
	}
	if off := res.Watch[0].Offset; off < 1 || off > 1.5 {
		t.Errorf("first sample at %v s, want about 1 s after the engine's start", off)
	}
	if res.Watch[0].DesiredReplicas != 7 {
		t.Errorf("sample %+v", res.Watch[0])
	}
}

// TestRunWatched_EngineStartsLate: samples taken while the engine was still
// starting are not given negative offsets; the latest describes the start.
func TestRunWatched_EngineStartsLate(t *testing.T) {
	w := &Watcher{Scale: watchHPA, Period: time.Millisecond}
	eng := watchEngineFunc(func(ctx context.Context, _ RunSpec) (*Result, error) {
		time.Sleep(30 * time.Millisecond) // k6 takes a while to start
		start := time.Now()
		time.Sleep(20 * time.Millisecond)
		return &Result{Start: start}, nil
	})
	res, err := RunWatched(context.Background(), eng, RunSpec{}, w)
	if err != nil {
		t.Fatal(err)
	}
	zeros := 0
	for i, s := range res.Watch {
		if s.Offset < 0 {
			t.Errorf("sample %d at %v s, before the start", i, s.Offset)
		}
		if s.Offset == 0 {
			zeros++
		}
	}
	if zeros != 1 || len(res.Watch) < 2 {
		t.Errorf("%d samples at offset 0 of %d, want exactly one (the state at the start)", zeros, len(res.Watch))
	}
}
