package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"sigs.k8s.io/yaml"
)

// TestProposal_SameFromReportTuneRightsize: report, tune and rightsize
// --patches run the one recommender, so they propose the same HPA for the
// same service (noa-mcp, whose proposal moves its target and maximum).
func TestProposal_SameFromReportTuneRightsize(t *testing.T) {
	if testing.Short() {
		t.Skip("three searches over the bundled example (seconds of CPU); not in -short")
	}
	dir := filepath.Join(t.TempDir(), "report")
	if _, errOut, code := runCLI(t, "", "report", "-f", noaPlan, "--out-dir", dir, "--plots", "none", "--uncertainty", "off"); code != exitOK && code != exitCheckFailed {
		t.Fatalf("report: exit %d\n%s", code, errOut)
	}
	var rep struct {
		Recommendations []struct {
			Service string                                     `json:"service"`
			HPA     *autoscalingv2.HorizontalPodAutoscalerSpec `json:"hpa"`
		} `json:"recommendations"`
	}
	if err := json.Unmarshal([]byte(mustRead(t, filepath.Join(dir, "report.json"))), &rep); err != nil {
		t.Fatal(err)
	}
	var fromReport *autoscalingv2.HorizontalPodAutoscalerSpec
	for _, r := range rep.Recommendations {
		if r.Service == "noa-mcp" {
			fromReport = r.HPA
		}
	}
	if fromReport == nil {
		t.Fatal("report proposes no HPA change for noa-mcp")
	}

	out, errOut, code := runCLI(t, "", "tune", "-f", noaPlan, "--service", "noa-mcp", "--uncertainty", "off", "-o", "json")
	if code != exitOK {
		t.Fatalf("tune: exit %d\n%s", code, errOut)
	}
	var tune struct {
		Proposal struct {
			Recommendation struct {
				HPA *autoscalingv2.HorizontalPodAutoscalerSpec `json:"hpa"`
			} `json:"recommendation"`
		} `json:"proposal"`
	}
	if err := json.Unmarshal([]byte(out), &tune); err != nil {
		t.Fatal(err)
	}

	pdir := filepath.Join(t.TempDir(), "patches")
	if _, errOut, code := runCLI(t, "", "rightsize", "-f", noaPlan, "--usage", "../../testdata/noa-usage.csv", "--service", "noa-mcp", "--uncertainty", "off", "--out-dir", pdir); code != exitOK {
		t.Fatalf("rightsize: exit %d\n%s", code, errOut)
	}
	b, err := os.ReadFile(filepath.Join(pdir, "manifests", "hpa-noa-mcp-hpa.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var hpa autoscalingv2.HorizontalPodAutoscaler
	if err := yaml.Unmarshal(b, &hpa); err != nil {
		t.Fatal(err)
	}

	want, _ := json.Marshal(fromReport)
	for name, got := range map[string]*autoscalingv2.HorizontalPodAutoscalerSpec{"tune": tune.Proposal.Recommendation.HPA, "rightsize --patches": &hpa.Spec} {
		g, _ := json.Marshal(got)
		if string(g) != string(want) {
			t.Errorf("%s proposes\n%s\nreport proposes\n%s", name, g, want)
		}
	}
}
