package loadtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/headroom-dev/headroom/scenarios"
)

func TestPlanEndpoints(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bodies"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bodies", "w.json"), []byte(`{"id":7}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tok"), []byte("s3cret-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	svc := &scenarios.Service{Name: "api", Endpoints: []scenarios.Endpoint{
		{Name: "read", Path: "/items?x=1", Weight: 3, Headers: []scenarios.EndpointHeader{
			{Name: "Accept", Value: "application/json"},
			{Name: "Authorization", ValueFrom: &scenarios.HeaderSource{Env: "API_TOKEN"}},
		}},
		{Name: "write", Method: "POST", Path: "/items", Weight: 1, BodyFile: "bodies/w.json", Headers: []scenarios.EndpointHeader{
			{Name: "X-Key", ValueFrom: &scenarios.HeaderSource{File: "tok"}},
		}},
		{Name: "ping", Method: "PUT", Path: "/p", Weight: 0.5, Body: "hi"},
	}}
	env := map[string]string{"API_TOKEN": "s3cret-env"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	eps, err := PlanEndpoints(svc, "http://api.shop:8080/", dir, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if len(eps) != 3 || eps[0].URL != "http://api.shop:8080/items?x=1" || eps[0].Method != "GET" || eps[1].Method != "POST" {
		t.Fatalf("endpoints %+v", eps)
	}
	if h := eps[0].Header[1]; !h.Secret || h.Value != "s3cret-env" || h.SecretSource != "env:API_TOKEN" {
		t.Errorf("env header %+v", h)
	}
	if h := eps[0].Header[0]; h.Secret || h.Value != "application/json" {
		t.Errorf("literal header %+v", h)
	}
	if h := eps[1].Header[0]; !h.Secret || h.Value != "s3cret-file" || h.SecretSource != "file:tok" {
		t.Errorf("file header %+v", h)
	}
	if string(eps[1].Body) != `{"id":7}` || string(eps[2].Body) != "hi" || eps[0].Body != nil {
		t.Errorf("bodies %q %q %q", eps[0].Body, eps[1].Body, eps[2].Body)
	}
	if got := SecretValues(eps); len(got) != 2 {
		t.Errorf("secret values: %d", len(got))
	}
	d := DescribeMix(eps)
	for _, s := range SecretValues(eps) {
		if strings.Contains(d, s) {
			t.Errorf("DescribeMix shows a secret:\n%s", d)
		}
	}
	if !strings.Contains(d, "Authorization: <secret from env:API_TOKEN>") || !strings.Contains(d, "66.7 %") {
		t.Errorf("DescribeMix:\n%s", d)
	}

	// Errors name the source and never a value.
	env["API_TOKEN"] = ""
	if _, err := PlanEndpoints(svc, "http://api.shop:8080", dir, lookup); err == nil || !strings.Contains(err.Error(), "endpoint read: header Authorization: environment variable API_TOKEN is not set") {
		t.Errorf("unset env: %v", err)
	}
	env["API_TOKEN"] = "bad\nvalue-s3cret"
	if _, err := PlanEndpoints(svc, "http://api.shop:8080", dir, lookup); err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "line break") {
		t.Errorf("value with a newline: %v", err)
	}
	env["API_TOKEN"] = "ok"
	if _, err := PlanEndpoints(svc, "http://api.shop:8080/?q=1", dir, lookup); err == nil || !strings.Contains(err.Error(), "no query") {
		t.Errorf("base with a query: %v", err)
	}
	if _, err := PlanEndpoints(svc, "http://u:pw@api.shop/", dir, lookup); err == nil || strings.Contains(err.Error(), "pw") {
		t.Errorf("base with credentials: %v", err)
	}
	svc.Endpoints[1].BodyFile = "bodies/missing.json"
	if _, err := PlanEndpoints(svc, "http://api.shop:8080", dir, lookup); err == nil || !strings.Contains(err.Error(), "endpoint write: bodyFile") {
		t.Errorf("missing body file: %v", err)
	}
	if eps, err := PlanEndpoints(&scenarios.Service{Name: "x"}, "http://a/", dir, lookup); eps != nil || err != nil {
		t.Errorf("no endpoints: %v %v", eps, err)
	}
}
