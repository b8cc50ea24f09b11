// Package cluster is headroom's adapter to a Kubernetes API server, and the
// only package that imports k8s.io/client-go: whatever else needs the API
// server (the k6-operator test runs and the pod watcher of loadtest) gets it
// through narrow interfaces that this package implements, with fakes in
// tests.
//
// It does four things, and writes nothing to a cluster unless told to:
//
//   - Discover reads the Deployments and StatefulSets of a namespace, the
//     autoscaling/v2 HorizontalPodAutoscalers that target them and, when the
//     CRD is installed, their VerticalPodAutoscalers (autoscaling.k8s.io/v1),
//     into a capacity plan (scenarios.Plan). It only gets and lists
//     (rbac/discover-clusterrole.yaml). What a cluster cannot tell (request
//     rate, service time, concurrency, CPU per request, memory, node types)
//     is written as a marked placeholder that scenarios.Parse rejects with
//     the field to fill, so a plan with guessed numbers is never used by
//     accident: WritePlan renders the plan with those comments through
//     scenarios/planfile.
//
//   - Applier applies a patches directory (ReadPatchDir: a
//     kustomization.yaml, as headroom report writes it, naming
//     strategic-merge patches on existing objects and manifests to
//     server-side apply, field manager "headroom"). DryRun sends every
//     object as a server-side dry run (DryRun: All): the API server
//     validates and admits it exactly as it would a real write and returns
//     the object it would store, which Diff compares with the live object
//     to say what would change. Only Apply (headroom apply --apply) writes,
//     and only when every dry run was accepted; it sends the same requests
//     for real (rbac/apply-clusterrole.yaml lists the permissions). Without
//     --apply the command is read-only.
//
//   - RenderSweepJob writes, without contacting a cluster, the ConfigMap and
//     batch/v1 Indexed Job that run the shards of a sweep (`headroom sweep
//     job`): index i runs shard i/N and writes it to its log, which
//     SweepCollectScript gathers for `headroom sweep merge`.
//
//   - For load tests, WorkloadScale reads a workload's replicas and its
//     HPA's status (the command adapts it to loadtest.ScaleReader for the
//     watcher), and Clients' CreateConfigMap, CreateObject, GetObject, DeleteObject,
//     ListPods and Logs are the object access a k6-operator run needs
//     (k6.API); they write only for headroom loadtest operator --apply.
//
// Connection settings follow kubectl: Flags resolves --kubeconfig, --context
// and -n with client-go's clientcmd loading rules (the KUBECONFIG variable,
// then ~/.kube/config; the context's namespace when -n is not given), and
// NewClients builds the typed and dynamic clients from them.
package cluster
