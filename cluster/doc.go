// Package cluster is headroom's only code that talks to a Kubernetes API
// server. It does three things:
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
//   - For load tests, WorkloadScale reads a workload's replicas and its
//     HPA's status (loadtest.ScaleReader, for the watcher), and Clients'
//     CreateConfigMap, CreateObject, GetObject, DeleteObject, ListPods and
//     Logs are the object access a k6-operator run needs (k6.API). The
//     loadtest packages reach the API server only through these.
//
// Connection settings follow kubectl: Flags resolves --kubeconfig, --context
// and -n with client-go's clientcmd loading rules (the KUBECONFIG variable,
// then ~/.kube/config; the context's namespace when -n is not given).
package cluster
