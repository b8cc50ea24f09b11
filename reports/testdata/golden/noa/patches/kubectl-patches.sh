#!/bin/sh
# kubectl JSON patches for plan noa-server, written by headroom test.
# Each command carries its reason. Review, then run: sh kubectl-patches.sh
# The "test" operations make a patch fail, changing nothing, when container 0 is not
# the one the plan names.
set -eu

# horizontalpodautoscaler/noa-mcp-hpa: CPU target 70 % → 63 %: the peak of daily at 12:00 (33 req/s) needs 7 replicas (latency-slo), where CPU is at 60 % of the request; at 70 % the HPA settles at 6; at 63 % one replica short of the need reads above the HPA's 10 % tolerance, so it scales to the need
# horizontalpodautoscaler/noa-mcp-hpa: maxReplicas 10 → 15: the peak of daily-growth-2x at 12:00 (67 req/s; latency-slo) needs 13 replicas, plus 2 for the tolerance band above it
kubectl patch horizontalpodautoscaler noa-mcp-hpa -n noa-server --type='json' \
  -p='[
    {"op": "replace", "path": "/spec/maxReplicas", "value": 15},
    {"op": "test", "path": "/spec/metrics/0/resource/name", "value": "cpu"},
    {"op": "replace", "path": "/spec/metrics/0/resource/target/averageUtilization", "value": 63}
  ]'

# horizontalpodautoscaler/noa-ui-hpa: CPU target 60 % → 43 %: the peak of daily-growth-2x at 12:00 (600 req/s) needs 6 replicas (zone-loss), where CPU is at 40 % of the request; at 60 % the HPA settles at 4; at 43 % one replica short of the need reads above the HPA's 10 % tolerance, so it scales to the need
kubectl patch horizontalpodautoscaler noa-ui-hpa -n noa-server --type='json' \
  -p='[
    {"op": "test", "path": "/spec/metrics/0/resource/name", "value": "cpu"},
    {"op": "replace", "path": "/spec/metrics/0/resource/target/averageUtilization", "value": 43}
  ]'

# horizontalpodautoscaler/noa-workers-hpa: maxReplicas 4 → 5: the peak of daily-growth-2x at 12:00 (14 req/s; slot-utilization) needs 5 replicas
kubectl patch horizontalpodautoscaler noa-workers-hpa -n noa-server --type='json' \
  -p='[
    {"op": "replace", "path": "/spec/maxReplicas", "value": 5}
  ]'
