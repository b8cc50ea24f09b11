// Package k6 load-tests with k6 (grafana/k6), run as a subprocess and
// never linked (k6 is AGPL-3.0). It writes the k6 script that plays a plan
// scenario (ScriptFor, Script.Render), runs it (NewEngine, a
// loadtest.Engine), reads k6's --out json stream into windows as it comes
// and the handleSummary output for the thresholds. For distributed runs it
// renders a k6-operator TestRun (k6.io/v1alpha1) and the ConfigMap holding
// the script (OperatorSpec.Render) and, through API, creates them, follows
// the run and merges what the runner pods measured (OperatorRunner).
//
// The one thing to know: the script is an open model (k6's
// ramping-arrival-rate executor), so it must not be run with --vus or
// --duration, which replace its scenarios with a closed one; and the
// runners of an operator run are merged from latency bucket counters the
// script keeps, because percentiles of parts do not make the percentile of
// the whole.
//
// The formats are k6's documented ones (k6 docs: Results output / JSON,
// End of test summary, k6 exit codes) and grafana/k6-operator's
// api/v1alpha1 types. Package cluster implements API with client-go;
// k6test is an in-memory fake of it for tests.
package k6
