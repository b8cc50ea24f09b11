#!/bin/sh
# kubectl JSON patches for plan noa-server, written by headroom test.
# Each command carries its reason. Review, then run: sh kubectl-patches.sh
# The "test" operations make a patch fail, changing nothing, when container 0 is not
# the one the plan names.
set -eu

# horizontalpodautoscaler/noa-mcp-hpa: CPU target 70 % → 35 %: the highest target whose operating point holds the budget in every scenario; worst burn 6.39 in daily-growth-2x today, 0.65 in daily-growth-2x proposed (≤ 1 also with the inputs moved 3 %); cost +67.0 %
# horizontalpodautoscaler/noa-mcp-hpa: maxReplicas 10 → 14: the smallest maximum that holds the budget in every scenario (worst burn 6.39 in daily-growth-2x today, 0.65 in daily-growth-2x proposed (≤ 1 also with the inputs moved 3 %); cost +67.0 %)
kubectl patch horizontalpodautoscaler noa-mcp-hpa -n noa-server --type='json' \
  -p='[
    {"op": "replace", "path": "/spec/maxReplicas", "value": 14},
    {"op": "test", "path": "/spec/metrics/0/resource/name", "value": "cpu"},
    {"op": "replace", "path": "/spec/metrics/0/resource/target/averageUtilization", "value": 35}
  ]'

# horizontalpodautoscaler/noa-workers-hpa: minReplicas 2 → 4: the smallest floor that holds the budget: the HPA alone does not follow the load in time (worst burn 14.86 in daily-growth-2x today, 0.00 in daily-growth-2x proposed (≤ 1 also with the inputs moved 3 %); cost +76.5 %)
kubectl patch horizontalpodautoscaler noa-workers-hpa -n noa-server --type='json' \
  -p='[
    {"op": "replace", "path": "/spec/minReplicas", "value": 4}
  ]'

# statefulset/noa-postgres: CPU request 500m → 1000m, limit 500m → 1000m (2×): a fixed-size service scales vertically; at this size one pod carries the peak of [daily-growth-2x event-spike] within its objectives (model)
kubectl patch statefulset noa-postgres -n noa-server --type='json' \
  -p='[
    {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "noa-postgres"},
    {"op": "replace", "path": "/spec/template/spec/containers/0/resources/requests/cpu", "value": "1"},
    {"op": "replace", "path": "/spec/template/spec/containers/0/resources/limits/cpu", "value": "1"}
  ]'

# statefulset/noa-redis: CPU request 250m → 400m, limit 250m → 400m (1.5×): a fixed-size service scales vertically; at this size one pod carries the peak of [daily-growth-2x event-spike] within its objectives (model)
kubectl patch statefulset noa-redis -n noa-server --type='json' \
  -p='[
    {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "noa-redis"},
    {"op": "replace", "path": "/spec/template/spec/containers/0/resources/requests/cpu", "value": "400m"},
    {"op": "replace", "path": "/spec/template/spec/containers/0/resources/limits/cpu", "value": "400m"}
  ]'
