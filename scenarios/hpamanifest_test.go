package scenarios

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseHPAManifests(t *testing.T) {
	good := `# proposed
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: noa-mcp-hpa, namespace: noa-server}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: noa-mcp}
  minReplicas: 4
  maxReplicas: 12
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
`
	hs, err := ParseHPAManifests("p.yaml", []byte(good+"---\n"+strings.Replace(good, "noa-mcp}", "noa-ui}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 || hs[1].Spec.ScaleTargetRef.Name != "noa-ui" || *hs[0].Spec.MinReplicas != 4 {
		t.Fatalf("got %d manifests", len(hs))
	}
	bad := good + "---\n" + strings.Replace(good, "maxReplicas: 12", "maxReplicas: 2", 1)
	_, err = ParseHPAManifests("p.yaml", []byte(bad))
	const want = "p.yaml:20:16: spec.maxReplicas: must be greater than or equal to `minReplicas`, got 2 < minReplicas 4"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error = %v\nwant it to contain %q", err, want)
	}
	_, err = ParseHPAManifests("p.yaml", []byte(strings.Replace(good, "autoscaling/v2", "autoscaling/v1", 1)))
	if err == nil || !strings.Contains(err.Error(), `p.yaml:2:13: apiVersion: must be autoscaling/v2, got "autoscaling/v1"`) {
		t.Errorf("error = %v", err)
	}
	_, err = ParseHPAManifests("p.yaml", []byte("# nothing\n"))
	if err == nil || err.Error() != "p.yaml: no HorizontalPodAutoscaler in the file" {
		t.Errorf("error = %v", err)
	}
}

func TestLoadHPAManifests_SizeCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, bytes.Repeat([]byte("# padding\n"), MaxHPAManifestBytes/10+1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadHPAManifests(path)
	if err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Fatalf("LoadHPAManifests of a %d-byte file = %v, want a size error", MaxHPAManifestBytes+10, err)
	}
}
