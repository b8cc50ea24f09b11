// Package sim replays a plan's traffic scenarios through its services on a
// virtual clock: the load balancer and per-pod queues, pods that take time
// to start, metrics that lag, the HPA controller (package sim/hpa, an exact
// replica of upstream's), nodes that take time to arrive, and scheduled
// scaling. It answers "will the autoscaler get us there in time?".
//
// # The per-pod model (fluid)
//
// Every tick each Ready pod receives λ(t)/N of the service's traffic. A
// pod's capacity is μ = min(k/E[S], (cpuLimit − cpuIdle)/cpuPerRequest)
// requests per second (worker slots, or the CPU limit when it throttles
// first). Below μ with no backlog a pod is a stationary queue at its load:
// its response-time quantiles are the stationary ones (the same M/M/k, or
// G/G/k approximation, that package model sizes with, interpolated from a
// table), and the requests whose wait would leave less than the mean
// service time before the timeout count as errors. Load beyond μ accumulates as a
// backlog that drains at μ; while it is there every worker slot is busy, a
// request's response time is its service time plus the time to drain the
// backlog ahead of it, and requests that would wait longer than the
// timeout are dropped and count as errors. Requests that arrive while no
// pod is Ready fail, and so does what a deleted pod's backlog holds beyond
// what it serves in the grace period. At constant traffic below capacity
// the backlog is empty and the simulator agrees with the model.
//
// # The per-pod model (DES)
//
// Options.Mode = ModeDES replaces the fluid queues with requests: arrivals
// from a non-homogeneous Poisson process (thinning, λ linear within a tick)
// or evenly spaced as k6's arrival-rate executors send them; each request
// to a Ready pod chosen at random (round-robin for even arrivals); per pod
// a FCFS queue with k worker slots and service times drawn from the
// service's distribution (exponential, gamma, lognormal, deterministic or
// a measured histogram). A CPU limit is shared by the running requests:
// with n running, each runs at min(1, x/n) speed, x = (limit − idle)/(CPU
// per request / mean service time), so a saturated pod serves the fluid
// mode's capacity and a quiet one is not slowed. A client gives up at the
// timeout: a request still waiting then is skipped, one finishing later
// counts as an error. Response times go into an HDR histogram per sample
// interval; nothing is stored per request, and the latency SLO is judged
// on the last minute's completions. Pods, metrics, the HPA and nodes are
// the same code in both modes (the podModel interface); each model owns
// its per-pod state.
//
// # Error budgets
//
// Every service with a latency or error-rate SLO has an error budget
// (budget.go): a request is bad if it fails or, with a latency objective
// {q, T}, takes longer than T; the budget is 1 − q of the requests (and the
// error-rate objective's own); the summary's SLOBudgetBurn is the bad
// fraction over the budget, the larger of the two objectives', over the
// scenario, and WorstWindowBurn the highest over any slo.window. Fluid
// mode counts a tick's bad requests from the survival function: P(T > T₀)
// of the stationary queue (the latency table's column, with the timed-out
// fraction), or P(S > T₀ − wait) while a backlog drains; DES counts them.
// A pod whose CPU limit runs fewer requests at full speed than it has
// worker slots is read, in fluid mode, as ⌈x⌉ slots slowed to the limit's
// throughput (throttledWorkload), as DES's processor sharing serves it.
//
// # Searches
//
// The searches over runs (tune, sweep) are package capacity's; their
// candidates share each scenario's traffic series through Options.Traffic.
//
// # Start
//
// A run starts warm (warm.go has the rule): each service at the replica
// count its HPA settles on for the scenario's opening rate λ(0) — the
// HPA's replica calculation iterated to its fixed point on the stationary
// metrics, clamped to its bounds — with those pods Ready on Ready nodes,
// queues stationary (DES: the stationary mean in system and a one-minute
// burn-in), the metrics windows and lag lines at their stationary values,
// and the HPA's stabilisation windows full of the settled count. Options.
// ColdStart (or the plan's simulation.coldStart) starts at the plan's
// replica counts with empty queues and windows instead. Every caller —
// both modes, compare, the review, the searches and the load-test
// predictions — starts through the same function.
//
// # Tick order
//
// Each tick of length Δ (default 1 s) advances the clock to t and then, in
// this order:
//
//  1. scheduled actions whose time of day is reached run (kubectl scale, HPA
//     min/max patches);
//  2. nodes whose provisioning finished become Ready; empty nodes unneeded
//     for the scale-down delay are removed (never the last Ready one, nor
//     while a pod waits for a node);
//  3. the scheduler binds Pending pods to Ready nodes with room (first fit
//     in node order, which packs pods onto the fewest nodes);
//  4. pods advance: bound pods start their containers after the image pull
//     and container start, and become Ready after the readiness delay;
//
// then, service by service:
//
//  5. traffic λ(t) is spread over Ready pods and every pod's queue advances
//     by Δ (the per-pod model's serve); each pod's CPU and memory use and
//     this tick's values of the custom metrics (into their lag lines) are
//     recorded;
//  6. at every metrics-resolution boundary metrics-server takes a sample of
//     each running pod (its average over the metrics window);
//  7. at every sync-period boundary the HPA reconciles on what the metrics
//     pipeline shows, and the ReplicaSet creates or deletes pods at once
//     (deleting unscheduled, then unready, then the newest pods first);
//  8. the service's tick goes into its series and summary;
//
// and last:
//
//  9. every 10 s the cluster autoscaler binds what it can and asks for
//     nodes for the Pending pods that fit no Ready or provisioning node;
//  10. the nodes' count and cost, and each service's pod-hours and cost,
//     are recorded.
//
// Services share the cluster's nodes and nothing else. Nothing reads a wall
// clock or a global random source: the same plan and seed give the same
// output, byte for byte.
//
// # Files
//
//   - sim.go: Options, Run, and New, which builds the World at t = 0;
//     cancel.go: RunContext, Run that stops when its context is done.
//   - world.go: the World and the service, pod and node it is made of.
//   - tick.go: World.Tick in the order above, and what every service shares
//     in it: scheduling, pod start-up, the metrics pipeline, the HPA
//     reconcile, the ReplicaSet, the cluster autoscaler and the recording.
//   - podmodel.go: Mode and the podModel interface the two per-pod models
//     implement; podState, a model's per-pod state.
//   - fluidmodel.go: the fluid model; latency.go and cache.go its table of
//     stationary response times by load, shared between runs; cohort.go
//     the steady pods' shared CPU and memory samples.
//   - desmodel.go: the DES model (arrivals, service-time distributions);
//     des.go its kernel, one pod's request-level FCFS queue.
//   - warm.go: the warm start; conditions.go the HPA's conditions as the
//     result writes them.
//   - traffic.go: the scenario's traffic multiplier per tick, shared between
//     runs (one day of it when the profile repeats daily); result.go: the Result and the recorder that fills it; budget.go
//     the error-budget accounting.
//   - compare.go: Compare, today's HPAs against proposed ones over every
//     scenario, measure by measure.
//   - work.go: EstimateWork and Budget, the cost of a run counted before it
//     starts, so that commands refuse what would not finish.
package sim
