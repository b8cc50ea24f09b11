#!/bin/sh
# kubectl JSON patches for plan noa-server, written by headroom test.
# Each command carries its reason. Review, then run: sh kubectl-patches.sh
# The "test" operations make a patch fail, changing nothing, when container 0 is not
# the one the plan names.
set -eu

# horizontalpodautoscaler/noa-mcp-hpa: scale-up behaviour → Kubernetes' default (no stabilisation, 100 % or 4 pods per 15 s): today's scale-up stabilisation 60 s, 50 % per 60 s reacts late to the ramps; with today's scale-up target 38 %, max 14 holds it at cost 11.8, with the default scale-up target 47 %, max 14 holds it at cost 10.0 (point estimate)
# horizontalpodautoscaler/noa-mcp-hpa: CPU target 70 % → 30 %: the highest target whose operating point holds the budget in every scenario — a lower target keeps idle CPU for the load that arrives while the HPA's next replicas are still starting (metric window, sync period, scale-up policy, pod start-up); worst burn 50.00 in daily-growth-2x today, 0.22 in daily-growth-2x proposed (≤ 1 also with the inputs moved 3 % and at the p90 of the plan's 32-member uncertainty ensemble); cost +140.0 %
# horizontalpodautoscaler/noa-mcp-hpa: maxReplicas 10 → 21: the smallest maximum that holds the budget in every scenario (worst burn 50.00 in daily-growth-2x today, 0.22 in daily-growth-2x proposed (≤ 1 also with the inputs moved 3 % and at the p90 of the plan's 32-member uncertainty ensemble); cost +140.0 %)
# horizontalpodautoscaler/noa-mcp-hpa: minReplicas 3 → 2: the smallest minimum that holds the budget; not below the lowest load (6.67 req/s in daily) needs 2 (cpu-utilization) (worst burn 50.00 in daily-growth-2x today, 0.22 in daily-growth-2x proposed (≤ 1 also with the inputs moved 3 % and at the p90 of the plan's 32-member uncertainty ensemble); cost +140.0 %)
kubectl patch horizontalpodautoscaler noa-mcp-hpa -n noa-server --type='json' \
  -p='[
    {"op": "replace", "path": "/spec/maxReplicas", "value": 21},
    {"op": "test", "path": "/spec/metrics/0/resource/name", "value": "cpu"},
    {"op": "replace", "path": "/spec/metrics/0/resource/target/averageUtilization", "value": 30},
    {"op": "replace", "path": "/spec/minReplicas", "value": 2},
    {"op": "replace", "path": "/spec/behavior/scaleUp", "value": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}, {"type": "Pods", "value": 4, "periodSeconds": 15}]}}
  ]'

# horizontalpodautoscaler/noa-workers-hpa: maxReplicas 4 → 5: the smallest maximum that holds the budget in every scenario (worst burn 20.00 in daily-growth-2x today, 0.00 in daily-growth-2x proposed (≤ 1 also with the inputs moved 3 % and at the p90 of the plan's 32-member uncertainty ensemble); cost +147.8 %)
# horizontalpodautoscaler/noa-workers-hpa: minReplicas 2 → 5: the smallest floor that holds the budget: the HPA alone does not follow the load in time (worst burn 20.00 in daily-growth-2x today, 0.00 in daily-growth-2x proposed (≤ 1 also with the inputs moved 3 % and at the p90 of the plan's 32-member uncertainty ensemble); cost +147.8 %)
kubectl patch horizontalpodautoscaler noa-workers-hpa -n noa-server --type='json' \
  -p='[
    {"op": "replace", "path": "/spec/maxReplicas", "value": 5},
    {"op": "replace", "path": "/spec/minReplicas", "value": 5}
  ]'

# statefulset/noa-postgres: CPU request 500m → 1500m, limit 500m → 1500m (3×): a fixed-size service scales vertically; at this size one pod carries the peak of [daily-growth-2x event-spike] within its objectives (model, also at the p90 of the plan's 32-member uncertainty ensemble)
kubectl patch statefulset noa-postgres -n noa-server --type='json' \
  -p='[
    {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "noa-postgres"},
    {"op": "replace", "path": "/spec/template/spec/containers/0/resources/requests/cpu", "value": "1500m"},
    {"op": "replace", "path": "/spec/template/spec/containers/0/resources/limits/cpu", "value": "1500m"}
  ]'

# statefulset/noa-redis: CPU request 250m → 500m, limit 250m → 500m (2×): a fixed-size service scales vertically; at this size one pod carries the peak of [daily-growth-2x] within its objectives (model, also at the p90 of the plan's 32-member uncertainty ensemble)
kubectl patch statefulset noa-redis -n noa-server --type='json' \
  -p='[
    {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "noa-redis"},
    {"op": "replace", "path": "/spec/template/spec/containers/0/resources/requests/cpu", "value": "500m"},
    {"op": "replace", "path": "/spec/template/spec/containers/0/resources/limits/cpu", "value": "500m"}
  ]'
