#!/bin/sh
# Fixture: the kubectl form of the strategic patches below.
set -e
# noa-mcp: CPU request 500m -> 750m, memory 512Mi -> 768Mi (runbook "Increase Pod Resources").
kubectl patch deployment noa-mcp -n noa-server --type=json -p='[
  {"op": "replace", "path": "/spec/template/spec/containers/0/resources/requests/cpu", "value": "750m"},
  {"op": "replace", "path": "/spec/template/spec/containers/0/resources/limits/cpu", "value": "1"},
  {"op": "replace", "path": "/spec/template/spec/containers/0/resources/requests/memory", "value": "768Mi"},
  {"op": "replace", "path": "/spec/template/spec/containers/0/resources/limits/memory", "value": "1Gi"}
]'
# noa-mcp-hpa: keep the scale point (70 % of 500m = 350m = 47 % of 750m), room for the 2x peak.
kubectl patch hpa noa-mcp-hpa -n noa-server --type=json -p='[
  {"op": "replace", "path": "/spec/maxReplicas", "value": 13},
  {"op": "replace", "path": "/spec/metrics/0/resource/target/averageUtilization", "value": 47}
]'
