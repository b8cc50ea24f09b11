package capacity

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/headroom-dev/headroom/scenarios"
)

// EventPreScales are one event's pre-scales, as PlanPreScales made them.
type EventPreScales struct {
	Event     *scenarios.Event
	PreScales []scenarios.PreScale
}

// MergePreScales makes one schedule per target out of the events'
// pre-scales: the pre-scales of one HPA (or workload) whose [raise,
// restore] intervals overlap or touch become one raise at the earliest
// raise and one restore at the latest restore, at the highest floor and
// maxReplicas any of them needs, so no two CronJobs (or KEDA cron
// triggers) set different bounds on one HPA at once. Dated events merge
// with dated ones, events known by time of day with each other (on one
// UTC day, a window past midnight ending on the next). Each event keeps
// its pre-scales, in order, with the merged schedule (offsets into its own
// scenario, the raise no earlier than the scenario's start) and Events
// naming every event the schedule covers; the input is not modified.
func MergePreScales(evs []EventPreScales) []EventPreScales {
	out := make([]EventPreScales, len(evs))
	groups := map[string][]span{}
	var keys []string
	for i, e := range evs {
		out[i] = EventPreScales{Event: e.Event, PreScales: slices.Clone(e.PreScales)}
		for j := range e.PreScales {
			ps := &out[i].PreScales[j]
			ps.Rationale = slices.Clone(ps.Rationale)
			s := span{ev: i, ps: j}
			if e.Event.Dated {
				s.start, s.end = time.Duration(ps.Raise.UnixNano()), time.Duration(ps.Restore.UnixNano())
			} else {
				s.start, s.end = time.Duration(ps.RaiseClock), time.Duration(ps.RestoreClock)
				if s.end <= s.start {
					s.end += 24 * time.Hour
				}
			}
			key := strings.Join([]string{ps.Namespace, ps.TargetKind, ps.TargetName, strconv.FormatBool(e.Event.Dated)}, "\x00")
			if _, ok := groups[key]; !ok {
				keys = append(keys, key)
			}
			groups[key] = append(groups[key], s)
		}
	}
	for _, k := range keys {
		spans := groups[k]
		slices.SortStableFunc(spans, func(a, b span) int { return cmp.Compare(a.start, b.start) })
		for len(spans) > 0 {
			n, end := 1, spans[0].end
			for n < len(spans) && spans[n].start <= end {
				end = max(end, spans[n].end)
				n++
			}
			if n > 1 {
				mergeCluster(out, spans[:n])
			}
			spans = spans[n:]
		}
	}
	return out
}

// span is one pre-scale (event ev, pre-scale ps) on its group's time line:
// dated instants, or times of day with a restore past midnight on the
// next day.
type span struct {
	ev, ps     int
	start, end time.Duration
}

// mergeCluster gives every member of one overlapping cluster (spans in
// order of raise) the merged schedule: the first raise (and its lead),
// the last restore, the highest floor and maxReplicas.
func mergeCluster(evs []EventPreScales, spans []span) {
	at := func(s span) *scenarios.PreScale { return &evs[s.ev].PreScales[s.ps] }
	m := *at(spans[0])
	last := spans[0]
	var names, own []string
	for _, s := range spans {
		ps := at(s)
		m.To, m.From, m.MaxFrom, m.MaxTo = max(m.To, ps.To), max(m.From, ps.From), max(m.MaxFrom, ps.MaxFrom), max(m.MaxTo, ps.MaxTo)
		m.NewNodes = max(m.NewNodes, ps.NewNodes)
		if s.end > last.end {
			last = s
		}
		name := evs[s.ev].Event.Name
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		for _, l := range ps.Rationale {
			own = append(own, name+": "+l)
		}
	}
	m.Restore, m.RestoreClock = at(last).Restore, at(last).RestoreClock
	why := fmt.Sprintf("events %s overlap on %s: one raise at the first (%s), one restore after the last (%s), at the highest floor (%d)",
		strings.Join(names, ", "), m.TargetName, when(&m, true), when(&m, false), m.To)
	if m.MaxTo > m.MaxFrom {
		why += fmt.Sprintf(" and maxReplicas (%d)", m.MaxTo)
	}
	rationale := append([]string{why}, own...)
	// Each event's offsets move by as much as its own instants do.
	start, end := spans[0].start, last.end
	merged := make([]scenarios.PreScale, len(spans))
	for i, s := range spans {
		ps := at(s)
		merged[i] = m
		merged[i].RaiseAt = max(0, ps.RaiseAt+scenarios.Seconds(start-s.start))
		merged[i].RestoreAt = ps.RestoreAt + scenarios.Seconds(end-s.end)
		merged[i].Events = slices.Clone(names)
		merged[i].Rationale = slices.Clone(rationale)
	}
	for i, s := range spans {
		*at(s) = merged[i]
	}
}

func when(ps *scenarios.PreScale, raise bool) string {
	switch {
	case !ps.Raise.IsZero() && raise:
		return ps.Raise.UTC().Format(time.RFC3339)
	case !ps.Raise.IsZero():
		return ps.Restore.UTC().Format(time.RFC3339)
	case raise:
		return ps.RaiseClock.String() + " UTC"
	}
	return ps.RestoreClock.String() + " UTC"
}
