// Command kube-controller-manager is the upstream Kubernetes controller
// manager, built from the k8s.io/kubernetes module at the version pinned in
// this tools module's go.mod (the same release as bin/kube-apiserver). It
// does nothing of its own; it is upstream's cmd/kube-controller-manager main.
// hack/e2e/suites/60-hparef.sh runs it with only the HPA, deployment and
// replica-set controllers as the referee for sim/hpa.
package main

import (
	"os"
	_ "time/tzdata" // CronJob time zones, as upstream's main does

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
