package hpa

import (
	"os"
	"strings"
	"testing"
)

// The sequence cases are recorded from the real controller by
// hack/e2e/suites/60-hparef.sh (kube-controller-manager v1.37.2): every
// sync of every trace, replayed here through the Controller at the times
// the real one synced. HEADROOM_HPA_SEQUENCES names another recording to
// replay instead (the suite replays its fresh recording that way).

const (
	sequenceFile   = "../../testdata/conformance/hpa_sequences.json"
	sequenceEnvVar = "HEADROOM_HPA_SEQUENCES"
)

func loadSequences(t *testing.T) *SequenceFile {
	t.Helper()
	path := sequenceFile
	if p := os.Getenv(sequenceEnvVar); p != "" {
		path = p
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ReadSequenceFile(raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

func TestHPASequences(t *testing.T) {
	f := loadSequences(t)
	decisions := 0
	for i := range f.Traces {
		tr := &f.Traces[i]
		decisions += len(tr.Syncs)
		t.Run(tr.ID, func(t *testing.T) {
			ms, err := ReplaySequence(f.Config.Config(), tr)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				t.Error(m.Error())
			}
		})
	}
	t.Logf("%d traces, %d decisions", len(f.Traces), decisions)
}

// TestHPASequencesCanFail: the replay is not vacuous. A controller with a
// different tolerance (0.2 instead of the recording's 0.1) decides
// differently somewhere, and the replay reports it, with the inputs.
func TestHPASequencesCanFail(t *testing.T) {
	f := loadSequences(t)
	cfg := f.Config
	cfg.Tolerance = 0.2
	caught := 0
	for i := range f.Traces {
		ms, err := ReplaySequence(cfg.Config(), &f.Traces[i])
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if caught == 0 && !strings.Contains(m.Error(), "inputs: scale spec=") {
				t.Errorf("mismatch report without inputs: %s", m.Error())
			}
			caught++
		}
	}
	if caught == 0 {
		t.Fatal("tolerance 0.2 replayed every decision of a tolerance-0.1 recording: the replay cannot fail")
	}
}

// TestHPASequencesNeedV137ZeroRule: the recording is of v1.37, whose
// HPAScaleToZero gate (beta, on) sets the ScaledToZero condition on every
// rescale and keeps a target at zero unless the controller put it there.
// The rule sim/hpa had before (ZeroReplicasPre137) decides differently.
func TestHPASequencesNeedV137ZeroRule(t *testing.T) {
	f := loadSequences(t)
	cfg := f.Config.Config()
	cfg.ZeroReplicas = ZeroReplicasPre137
	differ := 0
	for i := range f.Traces {
		ms, err := ReplaySequence(cfg, &f.Traces[i])
		if err != nil {
			t.Fatal(err)
		}
		differ += len(ms)
	}
	if differ == 0 {
		t.Fatal("the pre-1.37 zero-replica rule replays a v1.37 recording exactly")
	}
	t.Logf("the pre-1.37 rule differs in %d decisions", differ)
}
