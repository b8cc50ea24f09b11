package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testKubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://a.example:6443"}
- name: b
  cluster: {server: "https://b.example:6443"}
users:
- name: u
  user: {token: t}
contexts:
- name: prod
  context: {cluster: a, user: u, namespace: noa-server}
- name: staging
  context: {cluster: b, user: u}
current-context: prod
`

// TestFlags_RESTConfig checks that --kubeconfig, --context and -n resolve
// as kubectl resolves them.
func TestFlags_RESTConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte(testKubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte(strings.ReplaceAll(testKubeconfig, "current-context: prod", "current-context: staging")), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		env        string
		flags      Flags
		host, ns   string
		errContain string
	}{
		{name: "KUBECONFIG, current context and its namespace", env: path, host: "https://a.example:6443", ns: "noa-server"},
		{name: "--context without a namespace: default", env: path, flags: Flags{Context: "staging"}, host: "https://b.example:6443", ns: "default"},
		{name: "-n wins over the context", env: path, flags: Flags{Namespace: "x"}, host: "https://a.example:6443", ns: "x"},
		{name: "--kubeconfig wins over KUBECONFIG", env: path, flags: Flags{Kubeconfig: other}, host: "https://b.example:6443", ns: "default"},
		{name: "an unknown context", env: path, flags: Flags{Context: "nope"}, errContain: `context "nope" does not exist`},
		{name: "a missing --kubeconfig", flags: Flags{Kubeconfig: filepath.Join(dir, "missing")}, errContain: "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tc.env)
			cfg, ns, err := tc.flags.RESTConfig()
			if tc.errContain != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errContain) {
					t.Fatalf("err = %v, want %q", err, tc.errContain)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != tc.host || ns != tc.ns {
				t.Errorf("host %s namespace %s, want %s %s", cfg.Host, ns, tc.host, tc.ns)
			}
		})
	}
}
