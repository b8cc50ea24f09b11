package main

import (
	"strings"
	"testing"
)

const mixSecret = "s3cret-noa-ui-7d21"

// TestLoadtestScript_Mix: the bundled example's noa-ui mix is written into
// the k6 script with its secret header read from __ENV, and the value of
// the variable appears nowhere.
func TestLoadtestScript_Mix(t *testing.T) {
	t.Setenv("NOA_UI_TOKEN", mixSecret)
	stdout, errOut, code := runCLI(t, "", "loadtest", "script", "-f", noaPlan, "--service", "noa-ui", "--scenario", "daily",
		"--target", "http://noa-ui.noa-server:8080", "--speedup", "3600")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		`url: "http://noa-ui.noa-server:8080/api/query"`,
		`"Authorization": __ENV.NOA_UI_TOKEN`,
		`"http_req_duration{endpoint:assets}"`,
		`const CUMULATIVE = [0.8, 1];`,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("script lacks %s", want)
		}
	}
	if strings.Contains(stdout+errOut, mixSecret) {
		t.Error("the secret's value is in the output")
	}
}

// TestLoadtestRun_MixSecrets: loadtest run reads a mix's secret headers
// before any request, and says which variable is missing without a value.
func TestLoadtestRun_MixSecrets(t *testing.T) {
	args := []string{"loadtest", "run", "--engine", "builtin", "-f", noaPlan, "--service", "noa-ui", "--scenario", "daily",
		"--target", "http://127.0.0.1:9", "--speedup", "3600", "--max-duration", "1s", "--out-file", t.TempDir() + "/r.json"}
	t.Setenv("NOA_UI_TOKEN", "")
	_, errOut, code := runCLI(t, "", args...)
	if code != exitError || !strings.Contains(errOut, "endpoint dashboard-query: header Authorization: environment variable NOA_UI_TOKEN is not set") {
		t.Errorf("without the variable: exit %d\n%s", code, errOut)
	}
	t.Setenv("NOA_UI_TOKEN", mixSecret)
	stdout, errOut, code := runCLI(t, "", args...)
	// The endpoints resolve; the 24 s run then exceeds --max-duration, a
	// usage error before any request.
	if code != exitUsage || !strings.Contains(errOut, "max-duration") {
		t.Errorf("with the variable: exit %d\n%s", code, errOut)
	}
	if strings.Contains(stdout+errOut, mixSecret) {
		t.Error("the secret's value is in the output")
	}
}
