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
//	                              for an overlay's components: list, with
//	                              patches: every file under strategic/
//	                              resources: every file under manifests/ except hpa-*.yaml
//	  strategic/<kind>-<name>.yaml   strategic-merge patches: apiVersion, kind,
//	                              metadata.name and .namespace, and only the
//	                              changed fields
//	  manifests/hpa-<name>.yaml   full autoscaling/v2 HPAs, the alternative to
//	                              the HPA patches for repositories without kustomize
//	  manifests/vpa-<name>.yaml   VerticalPodAutoscalers with updateMode "Off"
//	  manifests/cronjob-<name>.yaml  scheduled-scaling CronJobs with the
//	                              ServiceAccount, Role and RoleBinding they need
//
// `headroom apply -f DIR/patches` reads kustomization.yaml: each patches[].path
// is a strategic-merge patch on the object it names, each resources[] file
// (one or more YAML documents) an object to create or update by server-side
// apply. Without a kustomization.yaml, every YAML document in the directory is
// an object to server-side apply.
package reports
