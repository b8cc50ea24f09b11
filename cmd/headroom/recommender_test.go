package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"sigs.k8s.io/yaml"

	"github.com/headroom-dev/headroom/capacity"
	"github.com/headroom-dev/headroom/scenarios"
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

	plot := filepath.Join(t.TempDir(), "pareto.svg")
	out, errOut, code := runCLI(t, "", "tune", "-f", noaPlan, "--service", "noa-mcp", "--uncertainty", "off", "-o", "json", "--plot", plot)
	if code != exitOK {
		t.Fatalf("tune: exit %d\n%s", code, errOut)
	}
	var tune struct {
		Proposal struct {
			Current        json.RawMessage `json:"current"`
			Chosen         json.RawMessage `json:"chosen"`
			Recommendation struct {
				HPA *autoscalingv2.HorizontalPodAutoscalerSpec `json:"hpa"`
			} `json:"recommendation"`
		} `json:"proposal"`
	}
	if err := json.Unmarshal([]byte(out), &tune); err != nil {
		t.Fatal(err)
	}

	// tune --plot draws the front with the chosen setting marked.
	var chosen capacity.Point
	if err := json.Unmarshal(tune.Proposal.Chosen, &chosen); err != nil {
		t.Fatal(err)
	}
	if svg := mustRead(t, plot); !strings.HasPrefix(svg, "<?xml") || !strings.Contains(svg, "chosen: "+settingLabel(chosen)) {
		t.Errorf("tune --plot %s: not an SVG marking the chosen setting %q:\n%.300s", plot, settingLabel(chosen), svg)
	}

	// rightsize -o json carries the proposal it patches: the same
	// points, today's and the chosen one, as tune's.
	pdir := filepath.Join(t.TempDir(), "patches")
	out, errOut, code = runCLI(t, "", "rightsize", "-f", noaPlan, "--usage", "../../testdata/noa-usage.csv", "--service", "noa-mcp", "--uncertainty", "off", "--out-dir", pdir, "-o", "json")
	if code != exitOK {
		t.Fatalf("rightsize: exit %d\n%s", code, errOut)
	}
	var rs struct {
		Proposal []struct {
			Service        string          `json:"service"`
			Met            bool            `json:"met"`
			Current        json.RawMessage `json:"current"`
			Chosen         json.RawMessage `json:"chosen"`
			Recommendation struct {
				HPA *autoscalingv2.HorizontalPodAutoscalerSpec `json:"hpa"`
			} `json:"recommendation"`
		} `json:"proposal"`
	}
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatal(err)
	}
	if len(rs.Proposal) != 1 || rs.Proposal[0].Service != "noa-mcp" {
		t.Fatalf("rightsize -o json --out-dir: proposal %+v, want noa-mcp's", rs.Proposal)
	}
	for name, pair := range map[string][2]json.RawMessage{
		"today's point": {rs.Proposal[0].Current, tune.Proposal.Current},
		"chosen point":  {rs.Proposal[0].Chosen, tune.Proposal.Chosen},
	} {
		if !jsonEqual(t, pair[0], pair[1]) {
			t.Errorf("%s: rightsize -o json\n%s\ntune\n%s", name, pair[0], pair[1])
		}
	}
	// The table prints the same proposal: the HPA change and the burns.
	var full capacity.RightsizeReport
	if err := json.Unmarshal([]byte(out), &full); err != nil {
		t.Fatal(err)
	}
	plan, err := scenarios.LoadFile(noaPlan, nil)
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	printRightsizeProposal(&table, plan, full.Proposal)
	p := full.Proposal[0]
	for _, want := range []string{hpaChange(p), fmt.Sprintf("%.2f → %.2f", p.Current.WorstBurn, p.Chosen.WorstBurn), "noa-mcp:\n  - " + p.Recommendation.HPARationale[0]} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table does not say %q:\n%s", want, table.String())
		}
	}
	if hpaChange(p) == "=" {
		t.Errorf("noa-mcp's proposal moves nothing: %+v", p.Chosen)
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
	for name, got := range map[string]*autoscalingv2.HorizontalPodAutoscalerSpec{"tune": tune.Proposal.Recommendation.HPA, "rightsize --patches": &hpa.Spec,
		"rightsize -o json's proposal": rs.Proposal[0].Recommendation.HPA} {
		g, _ := json.Marshal(got)
		if string(g) != string(want) {
			t.Errorf("%s proposes\n%s\nreport proposes\n%s", name, g, want)
		}
	}
}

// jsonEqual compares two JSON documents by value.
func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}
