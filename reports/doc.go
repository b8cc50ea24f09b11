// Package reports renders a capacity review (a record.Review, which
// package review builds): its figures (gonum/plot, PNG and SVG), the
// report (report.html, report.md, report.json) and the patches directory
// of its recommendations and event pre-scales. Render does all of it;
// RenderFigures, RenderPatches, JSON, Markdown and HTML each one part, and
// WriteDir writes them as one set. It reads the review and the plan and
// computes nothing: no sizing, no simulation (it does not import package
// sim, capacity or review, only review/record).
//
// # The patches directory
//
// `headroom report --out-dir DIR` writes DIR/patches, laid out so that both a human
// and `headroom apply` can use it:
//
//	patches/
//	  kubectl-patches.sh          kubectl patch --type=json commands, as in the
//	                              runbook, each with its rationale as a comment
//	  kustomization.yaml          a kustomize Component (kustomize.config.k8s.io/v1alpha1)
//	                              whose components: are the directories below
//	  hpa/                        Component: strategic-merge patches of the HPAs
//	  requests/                   Component: strategic-merge patches of requests,
//	                              limits and replicas (<kind>-<name>.yaml)
//	  vpa/                        Component: VerticalPodAutoscalers in updateMode
//	                              "Off" (PatchOptions.VPA only; needs the VPA CRDs)
//	  prescale/                   Component: event pre-scaling (PatchOptions.PrescaleWith):
//	                              cronjob: CronJobs + ServiceAccount, Role, RoleBinding;
//	                              keda: KEDA ScaledObjects; git: <window>/raise and
//	                              <window>/restore Components and schedule.tsv, which
//	                              the top-level component does not include
//	  manifests/hpa-<name>.yaml   full autoscaling/v2 HPAs, the alternative to
//	                              the HPA patches for repositories without kustomize
//
// `headroom apply -f DIR/patches` reads kustomization.yaml and, through its
// components:, each component's: each patches[].path
// is a strategic-merge patch on the object it names, each resources[] file
// (one or more YAML documents) an object to create or update by server-side
// apply. Without a kustomization.yaml, every YAML document in the directory is
// an object to server-side apply.
package reports
