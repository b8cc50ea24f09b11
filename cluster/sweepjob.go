package cluster

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// SweepJobOptions describe the Kubernetes Indexed Job that runs a sweep's
// shards on a cluster.
type SweepJobOptions struct {
	// Name names the Job; its ConfigMap is Name + "-input". A DNS-1123
	// label of at most 50 characters.
	Name string
	// Namespace of both objects; empty leaves it to kubectl's context.
	Namespace string
	// Image is a headroom container image (its entrypoint the headroom
	// binary).
	Image string
	// Shards is the Job's completions: shard i of Shards runs as index i.
	Shards int
	// Parallelism is how many shards run at once (default Shards).
	Parallelism int
	// PlanFile and GridFile are the plan and the grid, verbatim; the
	// ConfigMap holds them as plan.yaml and grid.yaml.
	PlanFile, GridFile []byte
	// CPU and Memory are each pod's requests (memory is also its limit).
	// Defaults 1 core and 1Gi.
	CPU, Memory resource.Quantity
	// BackoffLimitPerIndex is how often a failed shard is retried
	// (default 2).
	BackoffLimitPerIndex int32
}

// SweepJob is a rendered sweep Job: the typed objects and their YAML, a
// ConfigMap then the Job, for `kubectl apply -f`.
type SweepJob struct {
	ConfigMap *corev1.ConfigMap
	Job       *batchv1.Job
	YAML      []byte
}

// Paths inside a sweep pod.
const (
	sweepInputDir = "/etc/headroom"
	// maxConfigMapBytes is the API server's limit on a ConfigMap's data.
	maxConfigMapBytes = 1 << 20
	// completionIndexAnnotation is where the Job controller puts a pod's
	// index (batch/v1 Indexed completion mode).
	completionIndexAnnotation = "batch.kubernetes.io/job-completion-index"
	// maxSweepShards is the most shards `headroom sweep --shard i/N`
	// accepts (capacity.ParseShard).
	maxSweepShards = 100_000
)

// RenderSweepJob renders the ConfigMap and Indexed Job that run every
// shard of a sweep. Shard i writes its shard file (capacity.SweepShard as
// JSON) to standard output and nothing else (the pod runs with --quiet),
// so `kubectl logs` of the succeeded pod of index i is shard i's file;
// `headroom sweep merge` joins them. Standard output needs no storage class or ReadWriteMany volume on
// the cluster; its limit is the kubelet's log rotation (10 MiB by default
// per container), far above a shard's size for grids of up to ~30 000
// candidates per shard.
func RenderSweepJob(o SweepJobOptions) (*SweepJob, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.Parallelism == 0 {
		o.Parallelism = o.Shards
	}
	if o.CPU.IsZero() {
		o.CPU = resource.MustParse("1")
	}
	if o.Memory.IsZero() {
		o.Memory = resource.MustParse("1Gi")
	}
	if o.BackoffLimitPerIndex == 0 {
		o.BackoffLimitPerIndex = 2
	}
	labels := map[string]string{
		"app.kubernetes.io/name":      "headroom",
		"app.kubernetes.io/component": "sweep",
		"headroom.dev/sweep":          o.Name,
	}
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name + "-input", Namespace: o.Namespace, Labels: labels},
		Data:       map[string]string{"plan.yaml": string(o.PlanFile), "grid.yaml": string(o.GridFile)},
	}
	completions, parallelism := int32(o.Shards), int32(o.Parallelism)
	indexed := batchv1.IndexedCompletion
	backoff := o.BackoffLimitPerIndex
	yes, no := true, false
	uid := int64(65532)
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			CompletionMode:       &indexed,
			Completions:          &completions,
			Parallelism:          &parallelism,
			BackoffLimitPerIndex: &backoff,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   &yes,
						RunAsUser:      &uid,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:  "sweep",
						Image: o.Image,
						Args: []string{"sweep", "-f", sweepInputDir + "/plan.yaml", "--grid", sweepInputDir + "/grid.yaml",
							"--shard", fmt.Sprintf("$(SHARD_INDEX)/%d", o.Shards), "--out-file", "-", "--quiet"},
						Env: []corev1.EnvVar{{
							Name: "SHARD_INDEX",
							ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
								FieldPath: fmt.Sprintf("metadata.annotations['%s']", completionIndexAnnotation),
							}},
						}, {
							// A shard evaluates on GOMAXPROCS workers: as many as
							// the cores it requested (rounded up), not the node's.
							Name: "GOMAXPROCS",
							ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{
								ContainerName: "sweep", Resource: "requests.cpu", Divisor: resource.MustParse("1"),
							}},
						}},
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: o.CPU, corev1.ResourceMemory: o.Memory},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: o.Memory},
						},
						VolumeMounts: []corev1.VolumeMount{{Name: "input", MountPath: sweepInputDir, ReadOnly: true}},
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: &no,
							ReadOnlyRootFilesystem:   &yes,
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
					}},
					Volumes: []corev1.Volume{{
						Name: "input",
						VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: cm.Name},
						}},
					}},
				},
			},
		},
	}
	var buf bytes.Buffer
	for i, obj := range []any{cm, job} {
		b, err := yaml.Marshal(obj)
		if err != nil {
			return nil, fmt.Errorf("sweep job: %w", err)
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return &SweepJob{ConfigMap: cm, Job: job, YAML: buf.Bytes()}, nil
}

// SweepCollectScript is a shell script that, once the Job has completed,
// writes each shard's output (the log of index i's succeeded pod) to
// shard-i.json and merges them.
func SweepCollectScript(name, namespace string, shards int) string {
	ns := ""
	if namespace != "" {
		ns = " -n " + namespace
	}
	return fmt.Sprintf(`kubectl wait%[2]s --for=condition=complete --timeout=24h job/%[1]s
for i in $(seq 0 %[3]d); do
  pod=$(kubectl get pods%[2]s -l job-name=%[1]s,%[4]s=$i --field-selector=status.phase=Succeeded -o name | head -n 1)
  kubectl logs%[2]s "$pod" -c sweep > shard-$i.json
done
headroom sweep merge shard-*.json --out-file sweep.json
`, name, ns, shards-1, completionIndexAnnotation)
}

// check says everything wrong with the options at once.
func (o SweepJobOptions) check() error {
	var errs []string
	if msgs := validation.IsDNS1123Label(o.Name); len(msgs) > 0 || len(o.Name) > 50 {
		errs = append(errs, fmt.Sprintf("name %q must be a DNS-1123 label of at most 50 characters (lower-case letters, digits, '-')", o.Name))
	}
	if o.Namespace != "" {
		if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
			errs = append(errs, fmt.Sprintf("namespace %q is not a DNS-1123 label", o.Namespace))
		}
	}
	if strings.TrimSpace(o.Image) == "" {
		errs = append(errs, "image is required: a headroom container image")
	}
	if o.Shards < 1 || o.Shards > maxSweepShards {
		errs = append(errs, fmt.Sprintf("shards %d must be in [1, %d]", o.Shards, maxSweepShards))
	}
	parallelism := o.Parallelism
	if parallelism == 0 {
		parallelism = o.Shards
	}
	if parallelism < 1 || parallelism > o.Shards {
		errs = append(errs, fmt.Sprintf("parallelism %d must be in [1, shards %d]", parallelism, o.Shards))
	}
	if !utf8.Valid(o.PlanFile) || !utf8.Valid(o.GridFile) {
		errs = append(errs, "the plan and the grid must be UTF-8 text")
	}
	if n := len(o.PlanFile) + len(o.GridFile); n > maxConfigMapBytes-1024 {
		errs = append(errs, fmt.Sprintf("plan and grid are %d bytes together; a ConfigMap holds at most 1 MiB", n))
	}
	if o.BackoffLimitPerIndex < 0 {
		errs = append(errs, fmt.Sprintf("backoff limit per index %d must be ≥ 0", o.BackoffLimitPerIndex))
	}
	if len(errs) > 0 {
		return fmt.Errorf("sweep job: %s", strings.Join(errs, "; "))
	}
	return nil
}
