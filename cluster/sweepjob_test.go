package cluster

import (
	"bytes"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestRenderSweepJob decodes the rendered YAML into the typed objects and
// checks what makes the Job run the sweep.
func TestRenderSweepJob(t *testing.T) {
	plan, grid := []byte("kind: CapacityPlan\n"), []byte("kind: SweepGrid\n")
	j, err := RenderSweepJob(SweepJobOptions{Name: "capacity-q3", Namespace: "tools", Image: "ghcr.io/headroom-dev/headroom:v1",
		Shards: 8, Parallelism: 3, PlanFile: plan, GridFile: grid})
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(j.YAML), "\n---\n")
	if len(docs) != 2 {
		t.Fatalf("%d YAML documents, want 2", len(docs))
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict([]byte(docs[0]), &cm); err != nil {
		t.Fatal(err)
	}
	var job batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(docs[1]), &job); err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || cm.APIVersion != "v1" || cm.Name != "capacity-q3-input" || cm.Namespace != "tools" {
		t.Errorf("ConfigMap meta %+v %+v", cm.TypeMeta, cm.ObjectMeta)
	}
	if cm.Data["plan.yaml"] != string(plan) || cm.Data["grid.yaml"] != string(grid) {
		t.Errorf("ConfigMap data %v", cm.Data)
	}
	s := job.Spec
	if job.Kind != "Job" || job.APIVersion != "batch/v1" || job.Name != "capacity-q3" || job.Namespace != "tools" {
		t.Errorf("Job meta %+v %+v", job.TypeMeta, job.ObjectMeta)
	}
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion || *s.Completions != 8 || *s.Parallelism != 3 {
		t.Errorf("completion mode %v, completions %v, parallelism %v", s.CompletionMode, s.Completions, s.Parallelism)
	}
	if s.BackoffLimitPerIndex == nil || *s.BackoffLimitPerIndex != 2 {
		t.Errorf("backoffLimitPerIndex %v", s.BackoffLimitPerIndex)
	}
	ps := s.Template.Spec
	if ps.RestartPolicy != corev1.RestartPolicyNever || len(ps.Containers) != 1 {
		t.Fatalf("pod spec %+v", ps)
	}
	c := ps.Containers[0]
	wantArgs := []string{"sweep", "-f", "/etc/headroom/plan.yaml", "--grid", "/etc/headroom/grid.yaml", "--shard", "$(SHARD_INDEX)/8", "--out-file", "-", "--quiet"}
	if strings.Join(c.Args, " ") != strings.Join(wantArgs, " ") || c.Image != "ghcr.io/headroom-dev/headroom:v1" {
		t.Errorf("container %s %q", c.Image, c.Args)
	}
	if len(c.Env) != 2 || c.Env[0].Name != "SHARD_INDEX" || c.Env[0].ValueFrom == nil || c.Env[0].ValueFrom.FieldRef == nil ||
		c.Env[0].ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Errorf("env %+v", c.Env)
	} else if r := c.Env[1].ValueFrom.ResourceFieldRef; c.Env[1].Name != "GOMAXPROCS" || r == nil || r.Resource != "requests.cpu" || r.ContainerName != c.Name {
		t.Errorf("GOMAXPROCS env %+v", c.Env[1])
	}
	if len(ps.Volumes) != 1 || ps.Volumes[0].ConfigMap == nil || ps.Volumes[0].ConfigMap.Name != cm.Name ||
		len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != ps.Volumes[0].Name || c.VolumeMounts[0].MountPath != "/etc/headroom" {
		t.Errorf("volumes %+v mounts %+v", ps.Volumes, c.VolumeMounts)
	}
	if c.Resources.Requests.Cpu().String() != "1" || c.Resources.Limits.Memory().String() != "1Gi" {
		t.Errorf("resources %+v", c.Resources)
	}
	// The typed objects and the YAML say the same.
	if cm.Name != j.ConfigMap.Name || *job.Spec.Completions != *j.Job.Spec.Completions {
		t.Errorf("typed objects and YAML differ")
	}
	// Deterministic.
	j2, _ := RenderSweepJob(SweepJobOptions{Name: "capacity-q3", Namespace: "tools", Image: "ghcr.io/headroom-dev/headroom:v1",
		Shards: 8, Parallelism: 3, PlanFile: plan, GridFile: grid})
	if !bytes.Equal(j.YAML, j2.YAML) {
		t.Error("two renderings differ")
	}
}

func TestRenderSweepJob_Errors(t *testing.T) {
	ok := SweepJobOptions{Name: "s", Image: "i", Shards: 2}
	for _, tt := range []struct {
		name string
		edit func(*SweepJobOptions)
		want string
	}{
		{"name", func(o *SweepJobOptions) { o.Name = "Sweep_1" }, `name "Sweep_1" must be a DNS-1123 label`},
		{"image", func(o *SweepJobOptions) { o.Image = " " }, "image is required"},
		{"shards", func(o *SweepJobOptions) { o.Shards = 0 }, "shards 0 must be in"},
		{"parallelism", func(o *SweepJobOptions) { o.Parallelism = 3 }, "parallelism 3 must be in [1, shards 2]"},
		{"size", func(o *SweepJobOptions) { o.PlanFile = make([]byte, 1<<20) }, "a ConfigMap holds at most 1 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			if _, err := RenderSweepJob(o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
