//go:build e2e

// End-to-end tests of `headroom discover` and `headroom apply` against a real
// kube-apiserver; hack/e2e/suites/30-apiserver.sh starts it and sets
// HEADROOM_E2E_KUBECONFIG (contexts admin, reader, applier). The tests run
// in file order and build on each other: discover before the VPA CRD exists,
// discover as the read-only user, dry runs, a rejected dry run, then --apply.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/headroom-dev/headroom/cluster"
	"github.com/headroom-dev/headroom/cluster/clustertest"
)

const (
	clusterTestdata = "../../cluster/testdata"
	fixturePatches  = clusterTestdata + "/patches"
)

var (
	e2eKubeconfig string
	admin         *cluster.Clients
	setupOnce     sync.Once
	setupErr      error
)

// setupCluster connects as the admin and creates the runbook's noa-mcp,
// once for all tests (no TestMain: other e2e files may share the package).
func setupCluster(t *testing.T) {
	t.Helper()
	setupOnce.Do(func() {
		e2eKubeconfig = os.Getenv("HEADROOM_E2E_KUBECONFIG")
		if e2eKubeconfig == "" {
			setupErr = errors.New("HEADROOM_E2E_KUBECONFIG is not set; run hack/e2e/suites/30-apiserver.sh")
			return
		}
		c, err := cluster.NewClients(cluster.Flags{Kubeconfig: e2eKubeconfig, Context: "admin"})
		if err != nil {
			setupErr = err
			return
		}
		admin = c
		if err := createFromFile(context.Background(), clusterTestdata+"/e2e/noa-server.yaml"); err != nil {
			setupErr = fmt.Errorf("create the runbook's noa-mcp: %w", err)
		}
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
}

// createFromFile creates every object of a YAML file as the admin, with
// plain creates (not headroom's own code).
func createFromFile(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if len(u.Object) == 0 {
			continue
		}
		ri, err := clustertest.Resource(admin, u.GroupVersionKind(), u.GetNamespace())
		if err != nil {
			return err
		}
		if _, err := ri.Create(ctx, u, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %s %s: %w", u.GetKind(), u.GetName(), err)
		}
	}
}

func get(t *testing.T, gvk schema.GroupVersionKind, ns, name string) *unstructured.Unstructured {
	t.Helper()
	ri, err := clustertest.Resource(admin, gvk, ns)
	if err != nil {
		t.Fatal(err)
	}
	u, err := ri.Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var deploymentGVK = schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}

func containerResources(t *testing.T) string {
	d := get(t, deploymentGVK, "noa-server", "noa-mcp")
	cs, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
	r := cs[0].(map[string]any)["resources"].(map[string]any)
	return fmt.Sprint(r["requests"], r["limits"])
}

func patchesDir() string {
	if d := os.Getenv("HEADROOM_E2E_PATCHES"); d != "" {
		return d
	}
	return fixturePatches
}

func usingFixture() bool { return os.Getenv("HEADROOM_E2E_PATCHES") == "" }

// TestClusterE2E_1_DiscoverNoVPACRD: the plan discovered from the real API server
// is byte for byte the golden file the unit test checks against the fake
// clientset, including the server's HPA defaults and the note that the VPA
// CRD is absent.
func TestClusterE2E_1_DiscoverNoVPACRD(t *testing.T) {
	setupCluster(t)
	out, errOut, code := runCLI(t, "", "discover", "--kubeconfig", e2eKubeconfig, "-n", "noa-server")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	want, err := os.ReadFile(clusterTestdata + "/discover-noa-server.golden.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("discovered plan differs from cluster/testdata/discover-noa-server.golden.yaml:\n%s", out)
	}
	// The TODO list points at the line and column of requestRate's value
	// in the plan on stdout.
	at := ""
	for i, line := range strings.Split(out, "\n") {
		if k := strings.Index(line, "requestRate: "); k >= 0 {
			at = fmt.Sprintf("<stdout>:%d:%d: ", i+1, k+len("requestRate: ")+1)
			break
		}
	}
	for _, w := range []string{
		"note: the VerticalPodAutoscaler CRD (autoscaling.k8s.io/v1) is not installed; VPAs skipped",
		"discovered 1 service(s) in noa-server",
		"before headroom can use the plan, fill in the TODOs:",
		at + "services[noa-mcp].requestRate: must be greater than 0",
	} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
}

// TestClusterE2E_2_DiscoverReadOnly installs the VPA CRD and the read-only role,
// binds it to the reader in noa-server, and discovers as the reader through
// $KUBECONFIG and --context. The reader cannot write: a dry run of the
// patches is refused.
func TestClusterE2E_2_DiscoverReadOnly(t *testing.T) {
	setupCluster(t)
	ctx := context.Background()
	if err := createFromFile(ctx, clusterTestdata+"/e2e/vpa-crd.yaml"); err != nil {
		t.Fatal(err)
	}
	waitForVPAResource(t)
	if err := createFromFile(ctx, "../../cluster/rbac/discover-clusterrole.yaml"); err != nil {
		t.Fatal(err)
	}
	if err := createFromFile(ctx, "../../cluster/rbac/apply-clusterrole.yaml"); err != nil {
		t.Fatal(err)
	}
	bind(t, "reader", "headroom-discover")

	// The reader sees nothing outside the binding.
	_, errOut, code := runCLI(t, "", "discover", "--kubeconfig", e2eKubeconfig, "--context", "reader", "-n", "default")
	if code != exitError || !strings.Contains(errOut, `deployments.apps is forbidden: User "reader" cannot list resource "deployments"`) {
		t.Errorf("discover in default as reader: exit %d, want 1 with a forbidden list\n%s", code, errOut)
	}

	t.Setenv("KUBECONFIG", e2eKubeconfig)
	plan := filepath.Join(t.TempDir(), "plan.yaml")
	_, errOut, code = runCLI(t, "", "discover", "--context", "reader", "-n", "noa-server", "--out-file", plan)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	got, err := os.ReadFile(plan)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(clusterTestdata + "/discover-noa-server.golden.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// With the CRD installed there is no note about it; the rest is equal.
	wantNoNote := regexp.MustCompile(`(?s)\n# Notes:\n.*?\n\n`).ReplaceAllString(string(want), "\n")
	if string(got) != wantNoNote {
		t.Errorf("plan discovered by the reader:\n%s\nwant:\n%s", got, wantNoNote)
	}
	if strings.Contains(errOut, "note:") {
		t.Errorf("notes with the CRD installed and allowed:\n%s", errOut)
	}

	out, _, code := runCLI(t, "", "apply", "--context", "reader", "-f", patchesDir())
	if code != exitCheckFailed || !strings.Contains(out, `is forbidden: User "reader" cannot`) {
		t.Errorf("apply as the read-only user: exit %d, want 3 with forbidden\n%s", code, out)
	}
}

func waitForVPAResource(t *testing.T) {
	gvk := schema.GroupVersionKind{Group: "autoscaling.k8s.io", Version: "v1", Kind: "VerticalPodAutoscaler"}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ri, err := clustertest.Resource(admin, gvk, "noa-server")
		if err == nil {
			if _, err = ri.List(context.Background(), metav1.ListOptions{}); err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the VPA CRD is not served after 60s: %v", err)
		}
		admin.Mapper.(meta.ResettableRESTMapper).Reset()
		time.Sleep(500 * time.Millisecond)
	}
}

// bind binds the ClusterRole role to user in noa-server.
func bind(t *testing.T, user, role string) {
	t.Helper()
	rb := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind":       "RoleBinding",
		"metadata":   map[string]any{"name": role + "-" + user, "namespace": "noa-server"},
		"roleRef":    map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
		"subjects":   []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}},
	}}
	ri, err := clustertest.Resource(admin, rb.GroupVersionKind(), "noa-server")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ri.Create(context.Background(), rb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// checkDryRunOutput checks that every object of dir is in the output of a
// dry run that the server accepted.
func checkDryRunOutput(t *testing.T, dir, out string) {
	t.Helper()
	set, err := cluster.ReadPatchDir(os.DirFS(dir), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range set.Objects {
		if !strings.Contains(out, "/"+o.Obj.GetName()+" ") || !strings.Contains(out, "("+o.Where()+", "+o.Op.String()+")") {
			t.Errorf("output lacks %s %s (%s):\n%s", o.Obj.GetKind(), o.Obj.GetName(), o.Where(), out)
		}
	}
	if strings.Contains(out, "REJECTED") {
		t.Errorf("a dry run was rejected:\n%s", out)
	}
	if !strings.Contains(out, fmt.Sprintf("%d object(s): ", len(set.Objects))) {
		t.Errorf("no summary of %d objects:\n%s", len(set.Objects), out)
	}
}

// TestClusterE2E_3_ApplyDryRun dry-runs the patches as the admin and as the user
// holding only cluster/rbac/apply-clusterrole.yaml; neither writes.
func TestClusterE2E_3_ApplyDryRun(t *testing.T) {
	setupCluster(t)
	before := containerResources(t)
	bind(t, "applier", "headroom-apply")
	for _, ctxName := range []string{"admin", "applier"} {
		t.Run(ctxName, func(t *testing.T) {
			out, errOut, code := runCLI(t, "", "apply", "--kubeconfig", e2eKubeconfig, "--context", ctxName, "-f", patchesDir())
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
			}
			checkDryRunOutput(t, patchesDir(), out)
			if !strings.Contains(out, "Dry run only: nothing was written.") {
				t.Errorf("no dry-run notice:\n%s", out)
			}
			if usingFixture() {
				for _, w := range []string{
					"deployments.apps/noa-mcp -n noa-server (strategic/deployment-noa-mcp.yaml:1, patch): would change 4 field(s)\n",
					`  ~ spec.template.spec.containers[name=noa-mcp].resources.requests.cpu: "500m" → "750m"`,
					"horizontalpodautoscalers.autoscaling/noa-mcp-hpa -n noa-server (strategic/horizontalpodautoscaler-noa-mcp-hpa.yaml:1, patch): would change 2 field(s)\n",
					"  ~ spec.maxReplicas: 10 → 13",
					"verticalpodautoscalers.autoscaling.k8s.io/noa-mcp-vpa -n noa-server (manifests/vpa-noa-mcp.yaml:1, apply): would create",
					"cronjobs.batch/noa-mcp-scale-up-peak-traffic -n noa-server (manifests/cronjob-noa-mcp.yaml:38, apply): would create",
					"roles.rbac.authorization.k8s.io/noa-mcp-scaler -n noa-server (manifests/cronjob-noa-mcp.yaml:9, apply): would create",
					"7 object(s): 5 to create, 2 to change, 0 unchanged, 0 rejected",
				} {
					if !strings.Contains(out, w) {
						t.Errorf("output lacks %q:\n%s", w, out)
					}
				}
			}
		})
	}
	if after := containerResources(t); after != before {
		t.Errorf("the dry run changed the Deployment: %s → %s", before, after)
	}
}

// TestClusterE2E_4_ApplyRejected adds an HPA patch the server refuses
// (maxReplicas below minReplicas) to the patches: the server's message is
// printed verbatim with the file, the exit code is 3, and --apply writes
// nothing, not even the objects that passed.
func TestClusterE2E_4_ApplyRejected(t *testing.T) {
	setupCluster(t)
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("kustomization.yaml", "patches:\n- path: deployment.yaml\n- path: hpa-broken.yaml\n")
	write("deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: noa-mcp, namespace: noa-server}\nspec: {replicas: 4}\n")
	write("hpa-broken.yaml", "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: noa-mcp-hpa, namespace: noa-server}\nspec: {minReplicas: 5, maxReplicas: 2}\n")
	before := get(t, deploymentGVK, "noa-server", "noa-mcp").GetResourceVersion()
	for _, args := range [][]string{{}, {"--apply"}} {
		out, errOut, code := runCLI(t, "", append([]string{"apply", "--kubeconfig", e2eKubeconfig, "-f", dir}, args...)...)
		if code != exitCheckFailed {
			t.Errorf("apply %v: exit %d, want 3\n%s", args, code, out)
		}
		for _, w := range []string{
			"deployments.apps/noa-mcp -n noa-server (deployment.yaml:1, patch): would change 1 field(s)\n  ~ spec.replicas: 3 → 4\n",
			"horizontalpodautoscalers.autoscaling/noa-mcp-hpa -n noa-server (hpa-broken.yaml:1, patch): REJECTED\n" +
				"  HorizontalPodAutoscaler.autoscaling \"noa-mcp-hpa\" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`\n",
			"2 object(s): 0 to create, 1 to change, 0 unchanged, 1 rejected",
		} {
			if !strings.Contains(out, w) {
				t.Errorf("apply %v: output lacks %q:\n%s", args, w, out)
			}
		}
		if !strings.Contains(errOut, "check failed: the API server rejected 1 of 2 objects in the dry run") {
			t.Errorf("apply %v: stderr %q", args, errOut)
		}
	}
	if after := get(t, deploymentGVK, "noa-server", "noa-mcp").GetResourceVersion(); after != before {
		t.Errorf("the Deployment was written (resourceVersion %s → %s) although a dry run failed", before, after)
	}
}

// TestClusterE2E_5_Apply applies for real: the Deployment changes, a second dry
// run finds nothing left to change, and discover sees the new requests and
// the VPA.
func TestClusterE2E_5_Apply(t *testing.T) {
	setupCluster(t)
	out, errOut, code := runCLI(t, "", "apply", "--kubeconfig", e2eKubeconfig, "-f", patchesDir(), "--apply")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "Applied:\n") {
		t.Errorf("no Applied section:\n%s", out)
	}
	out, errOut, code = runCLI(t, "", "apply", "--kubeconfig", e2eKubeconfig, "-f", patchesDir())
	if code != exitOK || !regexp.MustCompile(`object\(s\): 0 to create, 0 to change, \d+ unchanged, 0 rejected`).MatchString(out) {
		t.Errorf("second dry run after --apply: exit %d, want everything unchanged:\n%s\n%s", code, out, errOut)
	}
	if !usingFixture() {
		return
	}
	if got, want := containerResources(t), "map[cpu:750m memory:768Mi] map[cpu:1 memory:1Gi]"; got != want {
		t.Errorf("Deployment resources after --apply = %s, want %s", got, want)
	}
	plan, errOut, code := runCLI(t, "", "discover", "--kubeconfig", e2eKubeconfig, "-n", "noa-server")
	if code != exitOK {
		t.Fatalf("discover: exit %d\n%s", code, errOut)
	}
	for _, w := range []string{
		"    # VPA noa-mcp-vpa targets this workload (updateMode Off); it has no recommendation yet.\n    resources:\n      limits:\n        cpu: \"1\"\n        memory: 1Gi\n      requests:\n        cpu: 750m\n        memory: 768Mi\n",
		"      maxReplicas: 13\n",
	} {
		if !strings.Contains(plan, w) {
			t.Errorf("discovered plan lacks %q:\n%s", w, plan)
		}
	}
	if !bytes.Contains([]byte(plan), []byte("averageUtilization: 47")) {
		t.Errorf("discovered plan lacks the patched CPU target:\n%s", plan)
	}
}
