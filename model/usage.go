package model

import "time"

// UsageSample is one observation of a resource's usage: CPU in cores or
// memory in bytes, at an instant. Usage histories come from Prometheus
// (package prom) or from files; the right-sizing recommenders read them.
type UsageSample struct {
	Time  time.Time
	Value float64
}
