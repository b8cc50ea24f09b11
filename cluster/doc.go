// Package cluster is headroom's Kubernetes adapter: the only code that
// talks to a Kubernetes API server, and the renderer of the Job that runs a
// sweep on one. It does three things:
//
//   - Discover reads the Deployments and StatefulSets of a namespace, the
//     autoscaling/v2 HorizontalPodAutoscalers that target them and, when the
//     CRD is installed, their VerticalPodAutoscalers (autoscaling.k8s.io/v1),
//     into a capacity plan (scenarios.Plan). It needs only get and list (see
//     rbac/discover-clusterrole.yaml). What a cluster cannot tell (request
//     rate, service time, concurrency, CPU per request, memory, node types)
//     is written as a marked placeholder that scenarios.Parse rejects with
//     the field to fill, so a plan with guessed numbers is never used by
//     accident: WritePlan renders the plan with those comments.
//
//   - Applier applies a patches directory (reports/doc.go: a
//     kustomization.yaml naming strategic-merge patches on existing objects
//     and manifests to server-side apply, field manager "headroom"). Every
//     object is first sent as a server-side dry run (DryRun: All): the API
//     server validates and admits it exactly as it would a real write and
//     returns the object it would store, which is compared with the live
//     object to say what would change. Only with Apply set, and only when
//     every dry run was accepted, are the same requests sent for real
//     (rbac/apply-clusterrole.yaml lists the permissions).
//
//   - RenderSweepJob writes, without contacting a cluster, the ConfigMap and
//     batch/v1 Indexed Job that run the shards of a sweep (`headroom sweep
//     job`): index i runs shard i/N and writes it to its log, which
//     SweepCollectScript gathers for `headroom sweep merge`.
//
// Connection settings follow kubectl: Flags resolves --kubeconfig, --context
// and -n with client-go's clientcmd loading rules (the KUBECONFIG variable,
// then ~/.kube/config; the context's namespace when -n is not given).
package cluster
