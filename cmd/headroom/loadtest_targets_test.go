package main

import (
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/headroom-dev/headroom/loadtest"
)

// TestLoadtestRun_TargetsOverTLS: --targets plays a vegeta targets file
// (a GET with a token header, a POST with a body file) against an https
// target trusted with --ca-file; the result has both endpoints, the
// summary a per-endpoint table, and neither the result, stdout nor stderr
// holds the token (stderr lists it as a secret from the file).
func TestLoadtestRun_TargetsOverTLS(t *testing.T) {
	const token = "tok-9c1e7a55d2"
	var bad atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch {
		case r.Method == "GET" && r.URL.Path == "/items" && r.Header.Get("Authorization") == "Bearer "+token:
		case r.Method == "POST" && r.URL.Path == "/orders" && string(b) == `{"n":1}`:
		default:
			bad.Add(1)
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	body := filepath.Join(dir, "order.json")
	os.WriteFile(body, []byte(`{"n":1}`), 0o600)
	targets := filepath.Join(dir, "targets.txt")
	os.WriteFile(targets, []byte("GET "+srv.URL+"/items\nAuthorization: Bearer "+token+"\n\nPOST /orders\n@"+body+"\n"), 0o600)
	out := filepath.Join(dir, "run.json")

	stdout, errOut, code := runCLI(t, "", "loadtest", "run", "--engine", "builtin", "--target", srv.URL+"/",
		"--targets", targets, "--ca-file", ca, "--sender", "loop",
		"--rate", "20", "--duration", "2s", "--arrivals", "constant", "--out-file", out)
	if code != exitOK && code != exitCheckFailed {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if bad.Load() != 0 {
		t.Errorf("%d requests were not as the targets file says", bad.Load())
	}
	res, err := loadtest.ReadResultFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Endpoints) != 2 || res.Endpoints[0].Name != "GET /items" || res.Endpoints[1].Name != "POST /orders" ||
		res.Totals.Completed != 40 || res.Totals.Errors != 0 {
		t.Errorf("endpoints %+v, totals %+v", res.Endpoints, res.Totals)
	}
	if !strings.Contains(stdout, "ENDPOINT") || !strings.Contains(stdout, "POST /orders") {
		t.Errorf("no per-endpoint table: %s", stdout)
	}
	if !strings.Contains(errOut, "Authorization: <secret from file:"+targets+":2>") || !strings.Contains(errOut, "the raw sender sends this run") {
		t.Errorf("stderr: %s", errOut)
	}
	file, _ := os.ReadFile(out)
	for name, s := range map[string]string{"result": string(file), "stdout": stdout, "stderr": errOut} {
		if strings.Contains(s, token) {
			t.Errorf("the token is in the %s", name)
		}
	}

	// Refusals: a target on another host, and the k6 engine.
	os.WriteFile(targets, []byte("GET http://elsewhere.example/\n"), 0o600)
	_, errOut, code = runCLI(t, "", "loadtest", "run", "--engine", "builtin", "--target", srv.URL+"/", "--targets", targets,
		"--rate", "1", "--duration", "1s", "--out-file", out)
	if code != exitUsage || !strings.Contains(errOut, targets+":1: http://elsewhere.example/ is not on the target") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	_, errOut, code = runCLI(t, "", "loadtest", "run", "--engine", "k6", "--target", srv.URL+"/", "--targets", targets,
		"--rate", "1", "--duration", "1s", "--out-file", out)
	if code != exitUsage || !strings.Contains(errOut, "options of the built-in engine") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
