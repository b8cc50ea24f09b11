// Package sim replays a plan's traffic scenarios through its services on a
// virtual clock: the load balancer and per-pod queues, pods that take time
// to start, metrics that lag, the HPA controller (package sim/hpa, an exact
// replica of upstream's), nodes that take time to arrive, and scheduled
// scaling. It answers "will the autoscaler get us there in time?".
//
// # The per-pod model (fluid)
//
// Every tick each Ready pod receives λ(t)/N of the service's traffic. A
// pod's capacity is μ = min(k/E[S], cpuLimit/cpuPerRequest) requests per
// second (worker slots, or the CPU limit when it throttles first). Load
// beyond μ accumulates as a backlog that drains at μ; requests that would
// wait longer than the service's timeout are dropped and count as errors,
// as are requests that arrive while no pod is Ready. A request's response
// time is the pod's stationary queueing response time at its current load
// (the same M/M/k, or G/G/k approximation, that package model sizes with)
// plus the time to drain the backlog ahead of it. At constant traffic below
// capacity the backlog is empty and the simulator agrees with the model.
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
// interval; nothing is stored per request. Pods, metrics, the HPA and nodes
// are the same code in both modes (the podModel interface).
//
// # Searches
//
// The searches over runs (tune, sweep) are package capacity's; their
// candidates share each scenario's traffic series through Options.Traffic.
//
// # Tick order
//
// Each tick of length Δ (default 1 s) advances the clock to t and then, in
// this order:
//
//  1. scheduled actions whose time of day is reached run (kubectl scale, HPA
//     min/max patches);
//  2. nodes whose provisioning finished become Ready; empty nodes unneeded
//     for the scale-down delay are removed;
//  3. the scheduler binds Pending pods to Ready nodes with room (first fit
//     in node order, which packs pods onto the fewest nodes);
//  4. pods advance: bound pods start their containers after the image pull
//     and container start, and become Ready after the readiness delay;
//  5. traffic λ(t) is spread over Ready pods and every pod's queue advances
//     by Δ; CPU and memory use are recorded;
//  6. at every metrics-resolution boundary metrics-server takes a sample of
//     each running pod (its average over the metrics window); custom
//     metrics are recorded with their lag;
//  7. at every sync-period boundary each HPA reconciles on what the
//     metrics pipeline shows, and the ReplicaSet creates or deletes pods at
//     once (deleting unscheduled, then unready, then the newest pods first);
//  8. every 10 s the cluster autoscaler asks for nodes for Pending pods that
//     fit no Ready or provisioning node;
//  9. the tick's measurements go into the series and the summary.
//
// Services share the cluster's nodes and nothing else. Nothing reads a wall
// clock or a global random source: the same plan and seed give the same
// output, byte for byte.
package sim
