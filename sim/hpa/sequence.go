package hpa

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// A sequence is a recorded run of the real HPA controller
// (kube-controller-manager's pkg/controller/podautoscaler, horizontal.go
// reconcileAutoscaler) on one HPA: every sync it ran, with the inputs it read
// (the scale subresource, the pods, the metrics the metrics APIs served) and
// what it decided (the scale update and the HPA status it wrote). ReplaySequence
// feeds exactly those inputs, at exactly the recorded sync times, to a
// Controller and compares every decision. hack/e2e/suites/60-hparef.sh
// records them; testdata/conformance/hpa_sequences.json holds a recording.

// SequenceFile is a file of recorded sequences.
type SequenceFile struct {
	Description string `json:"description"`
	// Source names the controller the sequences were recorded from.
	Source string         `json:"source"`
	Config SequenceConfig `json:"config"`
	Traces []Sequence     `json:"traces"`
}

// SequenceConfig holds the kube-controller-manager flags of the recording.
type SequenceConfig struct {
	Tolerance                float64 `json:"tolerance"`
	CPUInitializationPeriodS float64 `json:"cpu_initialization_period_s"`
	InitialReadinessDelayS   float64 `json:"initial_readiness_delay_s"`
	DownscaleStabilizationS  float64 `json:"downscale_stabilization_s"`
	SyncPeriodS              float64 `json:"sync_period_s"`
	// ScaleToZero is the HPAScaleToZero feature gate of the recording
	// (v1.37).
	ScaleToZero bool `json:"hpa_scale_to_zero_gate"`
}

// Config returns the controller settings of the recording.
func (c SequenceConfig) Config() Config {
	cfg := DefaultConfig()
	cfg.Tolerance = c.Tolerance
	cfg.CPUInitializationPeriod = secondsDuration(c.CPUInitializationPeriodS)
	cfg.InitialReadinessDelay = secondsDuration(c.InitialReadinessDelayS)
	cfg.DownscaleStabilizationWindow = secondsDuration(c.DownscaleStabilizationS)
	cfg.SyncPeriod = secondsDuration(c.SyncPeriodS)
	cfg.ZeroReplicas = ZeroReplicasGateOff
	if c.ScaleToZero {
		cfg.ZeroReplicas = ZeroReplicasScaleToZero
	}
	return cfg
}

func secondsDuration(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// Sequence is one HPA's recorded syncs. All times are on the trace's clock:
// milliseconds (or, for timestamps the API stores with second precision,
// seconds) since the trace epoch, a whole wall-clock second.
type Sequence struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	// Epoch is the wall-clock time of the trace's zero (RFC 3339), for
	// reading the recording against logs; the replay does not use it.
	Epoch string `json:"epoch"`
	// Spec is the HPA spec as the API server returned it (defaulted).
	Spec autoscalingv2.HorizontalPodAutoscalerSpec `json:"spec"`
	// Containers are the pod template's containers and their requests; every
	// pod of the trace has them.
	Containers []SequenceContainer `json:"containers"`
	Syncs      []SequenceSync      `json:"syncs"`
}

// SequenceContainer is a container of the pod template.
type SequenceContainer struct {
	Name     string            `json:"name"`
	Requests map[string]string `json:"requests"`
}

// SequenceSync is one sync of the controller: what it read and what it did.
type SequenceSync struct {
	// AtMS is when the controller synced: the time of its scale update when
	// it rescaled, else of the last metrics response it read, else of its
	// read of the scale subresource.
	AtMS int64 `json:"at_ms"`
	// SpecReplicas and StatusReplicas are the scale subresource it read.
	SpecReplicas   int32 `json:"spec_replicas"`
	StatusReplicas int32 `json:"status_replicas"`
	// Pods are the pods of the target when the controller read its metrics.
	Pods []SequencePod `json:"pods"`
	// Metrics are what the metrics APIs served, one entry per metric of the
	// spec; empty when the controller read no metrics.
	Metrics []SequenceMetric `json:"metrics"`
	Want    SequenceWant     `json:"want"`
}

// SequencePod is a pod as the controller read it.
type SequencePod struct {
	Name string `json:"name"`
	// Phase is status.phase; Ready the Ready condition's status ("True",
	// "False", "Unknown", or "" for no condition) and ReadyS its
	// lastTransitionTime; StartS status.startTime (nil when unset).
	Phase    string `json:"phase"`
	Ready    string `json:"ready,omitempty"`
	ReadyS   int64  `json:"ready_s,omitempty"`
	StartS   *int64 `json:"start_s,omitempty"`
	Deleting bool   `json:"deleting,omitempty"`
}

// SequenceMetric is what a metrics API served for one metric of the spec.
type SequenceMetric struct {
	// Error is set when the API answered with an error status.
	Error bool `json:"error,omitempty"`
	// Samples are per-pod values (Resource, ContainerResource, Pods).
	Samples []SequenceSample `json:"samples,omitempty"`
	// Value is an Object metric's value in milli-units.
	Value *int64 `json:"value_milli,omitempty"`
	// Series are an External metric's values in milli-units.
	Series []int64 `json:"series_milli,omitempty"`
}

// SequenceSample is one pod's sample.
type SequenceSample struct {
	Pod     string `json:"pod"`
	Milli   int64  `json:"milli"`
	TimeS   int64  `json:"time_s"`
	WindowS int64  `json:"window_s"`
}

// SequenceWant is what the controller did in the sync and the HPA status
// after it.
type SequenceWant struct {
	// RescaleTo is the replica count it wrote to the scale subresource.
	RescaleTo *int32 `json:"rescale_to,omitempty"`
	// StatusWritten says whether it wrote the status in this sync; the
	// status fields below are the HPA's status after the sync either way.
	StatusWritten   bool                `json:"status_written"`
	CurrentReplicas int32               `json:"current_replicas"`
	DesiredReplicas int32               `json:"desired_replicas"`
	LastScaleS      *int64              `json:"last_scale_s,omitempty"`
	Conditions      []SequenceCondition `json:"conditions"`
}

// SequenceCondition is one status condition.
type SequenceCondition struct {
	Type   string `json:"type"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// SequenceMismatch is a sync where the replay decided differently.
type SequenceMismatch struct {
	Trace  string
	Index  int
	AtMS   int64
	Want   string
	Got    string
	Inputs string
}

// Error renders the mismatch: the trace, the time, both decisions and the
// inputs.
func (m SequenceMismatch) Error() string {
	return fmt.Sprintf("trace %s sync %d at %.3fs:\n  real: %s\n  sim:  %s\n  inputs: %s",
		m.Trace, m.Index, float64(m.AtMS)/1000, m.Want, m.Got, m.Inputs)
}

// ReplaySequence runs a sequence through a Controller with cfg and returns
// the syncs whose decision differs (desired and current replicas, the scale
// update, the conditions' statuses and reasons, lastScaleTime to the second).
// An error means the sequence itself is malformed.
func ReplaySequence(cfg Config, seq *Sequence) ([]SequenceMismatch, error) {
	spec := seq.Spec
	c, err := NewController(cfg, &spec)
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", seq.ID, err)
	}
	containers, err := sequenceContainers(seq.Containers)
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", seq.ID, err)
	}
	metricCount := len(c.metrics)
	var out []SequenceMismatch
	for i := range seq.Syncs {
		s := &seq.Syncs[i]
		snap, err := s.snapshot(containers, metricCount)
		if err != nil {
			return nil, fmt.Errorf("trace %s sync %d: %w", seq.ID, i, err)
		}
		d := c.Reconcile(time.Duration(s.AtMS)*time.Millisecond, &snap)
		got := decisionWant(&d)
		if w, g := s.Want.String(), got.String(); w != g {
			out = append(out, SequenceMismatch{Trace: seq.ID, Index: i, AtMS: s.AtMS, Want: w, Got: g + " (" + d.String() + ")", Inputs: s.inputs()})
		}
	}
	return out, nil
}

func sequenceContainers(cs []SequenceContainer) ([]Container, error) {
	out := make([]Container, 0, len(cs))
	for _, c := range cs {
		ct := Container{Name: c.Name}
		for name, q := range c.Requests {
			v, err := resource.ParseQuantity(q)
			if err != nil {
				return nil, fmt.Errorf("container %s: request %s %q: %w", c.Name, name, q, err)
			}
			ct.Requests = append(ct.Requests, ResourceAmount{Name: corev1.ResourceName(name), Milli: v.MilliValue()})
		}
		out = append(out, ct)
	}
	return out, nil
}

// snapshot converts the recorded inputs of a sync.
func (s *SequenceSync) snapshot(containers []Container, metricCount int) (Snapshot, error) {
	snap := Snapshot{SpecReplicas: s.SpecReplicas, StatusReplicas: s.StatusReplicas}
	index := make(map[string]int, len(s.Pods))
	for i, p := range s.Pods {
		pod := Pod{Name: p.Name, Deleting: p.Deleting, Containers: containers}
		switch corev1.PodPhase(p.Phase) {
		case corev1.PodPending:
			pod.Phase = PodPending
		case corev1.PodRunning:
			pod.Phase = PodRunning
		case corev1.PodSucceeded:
			pod.Phase = PodSucceeded
		case corev1.PodFailed:
			pod.Phase = PodFailed
		case corev1.PodUnknown:
			pod.Phase = PodUnknown
		default:
			return snap, fmt.Errorf("pod %s: unknown phase %q", p.Name, p.Phase)
		}
		switch p.Ready {
		case "True":
			pod.Ready = Ready
		case "False":
			pod.Ready = NotReady
		case "Unknown":
			pod.Ready = ReadyUnknown
		case "":
			pod.Ready = NoReadyCondition
		default:
			return snap, fmt.Errorf("pod %s: unknown ready status %q", p.Name, p.Ready)
		}
		pod.ReadyTransitionTime = time.Duration(p.ReadyS) * time.Second
		if p.StartS == nil {
			pod.NoStartTime = true
		} else {
			pod.StartTime = time.Duration(*p.StartS) * time.Second
		}
		index[p.Name] = i
		snap.Pods = append(snap.Pods, pod)
	}
	if len(s.Metrics) != 0 && len(s.Metrics) != metricCount {
		return snap, fmt.Errorf("%d metrics recorded for a spec of %d", len(s.Metrics), metricCount)
	}
	for _, m := range s.Metrics {
		mv := MetricValues{Unavailable: m.Error}
		if len(m.Samples) > 0 {
			mv.Samples = make([]Sample, len(s.Pods))
		}
		for _, smp := range m.Samples {
			x := Sample{Present: true, Milli: smp.Milli, Timestamp: time.Duration(smp.TimeS) * time.Second, Window: time.Duration(smp.WindowS) * time.Second}
			if i, ok := index[smp.Pod]; ok {
				mv.Samples[i] = x
			} else {
				mv.UnmatchedSamples = append(mv.UnmatchedSamples, x)
			}
		}
		if m.Value != nil {
			mv.Value = *m.Value
		}
		mv.Series = m.Series
		snap.Metrics = append(snap.Metrics, mv)
	}
	if len(s.Metrics) == 0 {
		// No metrics read: any metric the replay asks for behaves as failed,
		// which surfaces as a mismatch rather than passing silently.
		snap.Metrics = nil
	}
	return snap, nil
}

// decisionWant expresses a replayed decision as the recorded outcome.
func decisionWant(d *Decision) SequenceWant {
	w := SequenceWant{CurrentReplicas: d.CurrentReplicas, DesiredReplicas: d.DesiredReplicas}
	if d.Rescale {
		r := d.Replicas
		w.RescaleTo = &r
	}
	if d.HasLastScaleTime {
		s := int64(math.Floor(d.LastScaleTime.Seconds()))
		w.LastScaleS = &s
	}
	for _, c := range []struct {
		t string
		c Condition
	}{
		{string(autoscalingv2.AbleToScale), d.Conditions.AbleToScale},
		{string(autoscalingv2.ScalingActive), d.Conditions.ScalingActive},
		{string(autoscalingv2.ScalingLimited), d.Conditions.ScalingLimited},
		{string(autoscalingv2.ScaledToZero), d.Conditions.ScaledToZero},
	} {
		if c.c.Status != "" {
			w.Conditions = append(w.Conditions, SequenceCondition{Type: c.t, Status: string(c.c.Status), Reason: c.c.Reason})
		}
	}
	return w
}

// String renders the compared part of an outcome; conditions are sorted by
// type so the order the controller keeps them in does not matter.
func (w *SequenceWant) String() string {
	var b strings.Builder
	if w.RescaleTo != nil {
		fmt.Fprintf(&b, "rescale->%d ", *w.RescaleTo)
	} else {
		b.WriteString("no-rescale ")
	}
	fmt.Fprintf(&b, "current=%d desired=%d", w.CurrentReplicas, w.DesiredReplicas)
	if w.LastScaleS != nil {
		fmt.Fprintf(&b, " lastScale=%ds", *w.LastScaleS)
	}
	for _, t := range []autoscalingv2.HorizontalPodAutoscalerConditionType{autoscalingv2.AbleToScale, autoscalingv2.ScalingActive, autoscalingv2.ScalingLimited, autoscalingv2.ScaledToZero} {
		for _, c := range w.Conditions {
			if c.Type == string(t) {
				fmt.Fprintf(&b, " %s=%s/%s", c.Type, c.Status, c.Reason)
			}
		}
	}
	return b.String()
}

// inputs renders a sync's inputs for a mismatch report.
func (s *SequenceSync) inputs() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scale spec=%d status=%d; pods:", s.SpecReplicas, s.StatusReplicas)
	for _, p := range s.Pods {
		fmt.Fprintf(&b, " %s(%s ready=%s@%ds", p.Name, p.Phase, p.Ready, p.ReadyS)
		if p.StartS != nil {
			fmt.Fprintf(&b, " start=%ds", *p.StartS)
		}
		if p.Deleting {
			b.WriteString(" deleting")
		}
		b.WriteString(")")
	}
	for i, m := range s.Metrics {
		raw, _ := json.Marshal(m)
		fmt.Fprintf(&b, "; metric %d: %s", i, raw)
	}
	return b.String()
}

// MarshalSequenceFile writes a sequence file with one sync per line, so
// that a diff of two recordings reads sync by sync.
func MarshalSequenceFile(f *SequenceFile) ([]byte, error) {
	var b bytes.Buffer
	head := func(key string, v any, comma bool) error {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "  %q: %s", key, raw)
		if comma {
			b.WriteString(",")
		}
		b.WriteString("\n")
		return nil
	}
	b.WriteString("{\n")
	if err := head("description", f.Description, true); err != nil {
		return nil, err
	}
	if err := head("source", f.Source, true); err != nil {
		return nil, err
	}
	if err := head("config", f.Config, true); err != nil {
		return nil, err
	}
	b.WriteString("  \"traces\": [\n")
	for i := range f.Traces {
		t := f.Traces[i]
		syncs := t.Syncs
		t.Syncs = nil
		raw, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		// Reopen the object to append the syncs one per line.
		raw = bytes.TrimSuffix(bytes.TrimSuffix(raw, []byte("}")), []byte(`,"syncs":null`))
		b.WriteString("    ")
		b.Write(raw)
		b.WriteString(",\"syncs\": [\n")
		for j := range syncs {
			s, err := json.Marshal(&syncs[j])
			if err != nil {
				return nil, err
			}
			b.WriteString("      ")
			b.Write(s)
			if j < len(syncs)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString("    ]}")
		if i < len(f.Traces)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("  ]\n}\n")
	return b.Bytes(), nil
}

// ErrNoSequences is returned by ReadSequenceFile for a file without traces.
var ErrNoSequences = errors.New("no traces")

// ReadSequenceFile decodes a sequence file strictly (unknown fields are
// errors) and checks it has traces with unique ids.
func ReadSequenceFile(raw []byte) (*SequenceFile, error) {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	var f SequenceFile
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if len(f.Traces) == 0 {
		return nil, ErrNoSequences
	}
	seen := map[string]bool{}
	for i, t := range f.Traces {
		if t.ID == "" || seen[t.ID] {
			return nil, fmt.Errorf("trace %d: empty or duplicate id %q", i, t.ID)
		}
		seen[t.ID] = true
		if len(t.Syncs) == 0 {
			return nil, fmt.Errorf("trace %s: no syncs", t.ID)
		}
	}
	return &f, nil
}
