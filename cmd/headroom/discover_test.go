package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/headroom-dev/headroom/cluster"
	"github.com/headroom-dev/headroom/cluster/clustertest"
)

// fakeClusterClients makes the CLI talk to fakes for the rest of the test.
func fakeClusterClients(t *testing.T, c *cluster.Clients) {
	t.Helper()
	orig := newClusterClients
	newClusterClients = func(f cluster.Flags) (*cluster.Clients, error) {
		if f.Namespace != "" {
			c.Namespace = f.Namespace
		}
		return c, nil
	}
	t.Cleanup(func() { newClusterClients = orig })
}

func TestDiscoverCmd(t *testing.T) {
	q := resource.MustParse
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "cart"},
		Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "cart", Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{"cpu": q("200m"), "memory": q("128Mi")}},
		}}}}},
	}
	fakeClusterClients(t, clustertest.Fake("default", dep))

	out, errOut, code := runCLI(t, "", "discover", "-n", "shop")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, w := range []string{"  - name: cart\n    namespace: shop\n", "    replicas: 1\n", "requestRate: 0/s"} {
		if !strings.Contains(out, w) {
			t.Errorf("plan lacks %q:\n%s", w, out)
		}
	}
	for _, w := range []string{
		"discovered 1 service(s) in shop",
		"before headroom can use the plan, fill in the TODOs:",
		"<stdout>:",
		"services[cart].requestRate: must be greater than 0",
		"cluster.nodeTypes: a plan needs at least one node type",
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}

	path := filepath.Join(t.TempDir(), "plan.yaml")
	out2, errOut, code := runCLI(t, "", "discover", "-n", "shop", "--out-file", path)
	if code != exitOK || out2 != "" {
		t.Fatalf("exit %d, stdout %q\n%s", code, out2, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil || string(data) != out {
		t.Errorf("-o wrote %q (%v), want what stdout had", data, err)
	}
	if !strings.Contains(errOut, path+":") {
		t.Errorf("the TODO list does not name the file:\n%s", errOut)
	}

	_, errOut, code = runCLI(t, "", "discover", "-n", "empty")
	if code != exitError || !strings.Contains(errOut, "namespace empty has no Deployments or StatefulSets") {
		t.Errorf("empty namespace: exit %d, %s", code, errOut)
	}
}

func TestApplyCmd(t *testing.T) {
	dir := t.TempDir()
	sa := "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: %s}\n"
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(strings.ReplaceAll(sa, "%s", "good")+"---\n"+strings.ReplaceAll(sa, "%s", "bad")), 0o644); err != nil {
		t.Fatal(err)
	}
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Version: "v1", Kind: "ServiceAccount"}, meta.RESTScopeNamespace)

	for _, tc := range []struct {
		name   string
		args   []string
		reject string
		code   int
		out    []string
		writes int
	}{{
		name: "dry run", args: []string{"-f", dir}, code: exitOK,
		out: []string{
			"serviceaccounts/good -n team (a.yaml:1, apply): would create\n  + apiVersion: \"v1\"\n",
			"2 object(s): 2 to create, 0 to change, 0 unchanged, 0 rejected",
			"Dry run only: nothing was written. Rerun with --apply to apply.",
		},
	}, {
		name: "apply", args: []string{"-f", dir, "--apply"}, code: exitOK, writes: 2,
		out: []string{"Applied:\n  serviceaccounts/good -n team: created\n  serviceaccounts/bad -n team: created\n"},
	}, {
		name: "a rejection exits 3 and writes nothing", args: []string{"-f", dir, "--apply"}, reject: "bad", code: exitCheckFailed,
		out: []string{"serviceaccounts/bad -n team (a.yaml:5, apply): REJECTED\n  ServiceAccount \"bad\" is invalid: metadata.name: Invalid value: \"bad\": test rejection\n"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var writes []bool
			fakeClusterClients(t, clustertest.AcceptingServer("team", mapper, tc.reject, &writes))
			out, errOut, code := runCLI(t, "", append([]string{"apply"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.out {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			n := 0
			for _, w := range writes {
				if w {
					n++
				}
			}
			if n != tc.writes {
				t.Errorf("%d real writes, want %d", n, tc.writes)
			}
		})
	}
}

func TestApplyCmd_Usage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.yaml")
	if err := os.WriteFile(file, []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"apply"}, "-f/--filename is required"},
		{[]string{"apply", "-f", file}, "is a file; give the patches directory"},
		{[]string{"apply", "-f", filepath.Join(t.TempDir(), "nope")}, "no such file or directory"},
	} {
		_, errOut, code := runCLI(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestApplyCmd_Confined holds `apply` to the directory it is given and to
// the kinds headroom writes: a symlink out of the directory is an error, a
// ClusterRoleBinding is refused (nothing is sent) unless --allow-kind names
// it.
func TestApplyCmd_Confined(t *testing.T) {
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRoleBinding"}, meta.RESTScopeRoot)
	mapper.Add(schema.GroupVersionKind{Version: "v1", Kind: "ServiceAccount"}, meta.RESTScopeNamespace)
	crb := "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: pwn}\n" +
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n" +
		"subjects: [{kind: Group, name: 'system:authenticated', apiGroup: rbac.authorization.k8s.io}]\n"
	sa := "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ok}\n"

	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.yaml"), []byte(sa), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		files  map[string]string
		links  map[string]string
		args   []string
		code   int
		want   string
		writes int
	}{{
		name:  "symlinked file out of the directory",
		files: map[string]string{"a.yaml": sa},
		links: map[string]string{"b.yaml": filepath.Join(outside, "secret.yaml")},
		code:  exitError, want: "b.yaml",
	}, {
		name:  "kustomization resource that is a symlink out",
		files: map[string]string{"kustomization.yaml": "resources:\n- a.yaml\n- b.yaml\n", "a.yaml": sa},
		links: map[string]string{"b.yaml": filepath.Join(outside, "secret.yaml")},
		code:  exitError, want: "b.yaml",
	}, {
		name:  "a kind headroom does not write is refused",
		files: map[string]string{"a.yaml": sa, "crb.yaml": crb},
		code:  exitError, want: "refusing 1 object(s) of a kind headroom does not write:\n  ClusterRoleBinding.rbac.authorization.k8s.io pwn (crb.yaml:1)\nnothing was sent; if you mean to apply them, pass --allow-kind ClusterRoleBinding.rbac.authorization.k8s.io",
	}, {
		name:  "--allow-kind lets it through",
		files: map[string]string{"a.yaml": sa, "crb.yaml": crb},
		args:  []string{"--allow-kind", "ClusterRoleBinding.rbac.authorization.k8s.io", "--apply"},
		code:  exitOK, want: "clusterrolebindings.rbac.authorization.k8s.io/pwn: created", writes: 2,
	}, {
		name: "--allow-kind must be a kind", files: map[string]string{"a.yaml": sa},
		args: []string{"--allow-kind", "rbac/x"}, code: exitUsage, want: "--allow-kind: \"rbac/x\" is not a kind",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for name, target := range tc.links {
				if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
			}
			var writes []bool
			fakeClusterClients(t, clustertest.AcceptingServer("team", mapper, "", &writes))
			out, errOut, code := runCLI(t, "", append([]string{"apply", "-f", dir}, tc.args...)...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Fatalf("exit %d (want %d); want %q in\n%s\n%s", code, tc.code, tc.want, out, errOut)
			}
			n := 0
			for _, w := range writes {
				if w {
					n++
				}
			}
			if n != tc.writes {
				t.Errorf("%d real writes, want %d", n, tc.writes)
			}
			if tc.code != exitOK && len(writes) > 0 {
				t.Errorf("%d request(s) reached the API server", len(writes))
			}
		})
	}
}
