package scenarios

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Event is a pre-announced traffic event: from Start, traffic rises to Peak
// times today's over Ramp, holds until End, and falls back over Ramp.
type Event struct {
	Name string `json:"name"`
	// Start and End are UTC instants. Dated is false for an event read from
	// a plan scenario, which knows only the time of day.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Dated bool      `json:"dated"`
	// Peak is the multiplier of each service's observed rate at the peak.
	Peak float64 `json:"peak"`
	Ramp Seconds `json:"rampSeconds"`
	// Services limits the event to these services; default all.
	Services []string `json:"services,omitempty"`
	// Scenario is the name of the plan scenario the event is simulated as.
	Scenario string `json:"scenario"`
	// RiseAt and EndAt are Start and End as offsets into that scenario.
	RiseAt Seconds `json:"riseAtSeconds"`
	EndAt  Seconds `json:"endAtSeconds"`
}

// How much quiet time an event scenario keeps before the rise and after the
// fall: enough for a pre-scale to complete and for the HPA to scale back.
const (
	eventLeadIn = 3 * time.Hour
	eventTail   = 2 * time.Hour
)

// NewEvent checks an event given on the command line and names the
// scenario that simulates it.
func NewEvent(name string, start, end time.Time, peak float64, ramp time.Duration, services []string) (*Event, error) {
	switch {
	case !dnsLabel.MatchString(name):
		return nil, fmt.Errorf("event name %q must be a DNS label (lower-case letters, digits and '-'): it names the scenario and the CronJobs", name)
	case !end.After(start):
		return nil, fmt.Errorf("the event must end after it starts (start %s, end %s)", start.Format(time.RFC3339), end.Format(time.RFC3339))
	case end.Sub(start) > 14*24*time.Hour:
		return nil, fmt.Errorf("the event lasts %s; at most 14 days is supported", end.Sub(start))
	case !(peak > 0) || math.IsInf(peak, 0) || peak > 1000:
		return nil, fmt.Errorf("the event peak must be a multiplier in (0, 1000], got %v", peak)
	case ramp < 0 || ramp > end.Sub(start):
		return nil, fmt.Errorf("the event ramp %s must be between 0 and the event's length %s", ramp, end.Sub(start))
	}
	return &Event{
		Name: name, Start: start.UTC(), End: end.UTC(), Dated: true, Peak: peak, Ramp: Seconds(ramp),
		Services: services, Scenario: name, RiseAt: Seconds(eventLeadIn), EndAt: Seconds(eventLeadIn + end.Sub(start)),
	}, nil
}

// ScenarioFor builds the scenario that simulates a command-line event.
func (e *Event) ScenarioFor() Scenario {
	hold := e.End.Sub(e.Start) - e.Ramp.D()
	startOfDay := time.Duration(e.Start.Hour())*time.Hour + time.Duration(e.Start.Minute())*time.Minute + time.Duration(e.Start.Second())*time.Second
	begin := (startOfDay - eventLeadIn + 24*time.Hour) % (24 * time.Hour)
	return Scenario{
		Name:        e.Scenario,
		Description: fmt.Sprintf("Event %s: %gx today's traffic from %s to %s UTC.", e.Name, e.Peak, e.Start.Format("2006-01-02 15:04"), e.End.Format("2006-01-02 15:04")),
		Start:       TimeOfDay(begin),
		Duration:    Duration(eventLeadIn + e.End.Sub(e.Start) + e.Ramp.D() + eventTail),
		Services:    e.Services,
		Profile: []Component{{Spike: &Spike{
			At: Duration(eventLeadIn), Rise: Duration(e.Ramp), Hold: Duration(hold), Fall: Duration(e.Ramp), Multiplier: Multiplier(e.Peak),
		}}},
	}
}

// EventFromScenario reads a plan scenario with a spike as an event; the
// scenario's first spike is the event. It returns nil when the scenario has
// no spike.
func EventFromScenario(sc *Scenario) *Event {
	for _, c := range sc.Profile {
		s := c.Spike
		if s == nil {
			continue
		}
		rise := time.Duration(sc.Start) + s.At.D()
		day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		return &Event{
			Name: sc.Name, Start: day.Add(rise), End: day.Add(rise + s.Rise.D() + s.Hold.D()),
			Peak: float64(s.Multiplier), Ramp: Seconds(s.Rise), Services: sc.Services, Scenario: sc.Name,
			RiseAt: Seconds(s.At), EndAt: Seconds(s.At.D() + s.Rise.D() + s.Hold.D()),
		}
	}
	return nil
}

// PreScale is the schedule that has a service's pods and nodes Ready before
// an event's traffic rises: raise the floor (HPA minReplicas, or
// spec.replicas without an HPA) Lead before the rise, restore it after the
// fall.
type PreScale struct {
	Service   string `json:"service"`
	Namespace string `json:"namespace"`
	// Target is the object the CronJobs patch: the HPA when the service has
	// one, else the workload.
	TargetKind string `json:"targetKind"`
	TargetName string `json:"targetName"`
	// From is the floor outside the event (the recommender's proposed
	// minReplicas, or today's), To the replicas the event's peak needs.
	From int32 `json:"from"`
	To   int32 `json:"to"`
	// MaxFrom and MaxTo are the HPA's maxReplicas outside the event (the
	// recommender's proposed maximum, or today's) and during it (equal
	// unless the peak needs more than that maximum).
	MaxFrom int32 `json:"maxFrom,omitempty"`
	MaxTo   int32 `json:"maxTo,omitempty"`
	// Lead is start-up + node provisioning (when new nodes are needed) +
	// margin, rounded up to 5 minutes.
	Lead Seconds `json:"leadSeconds"`
	// RaiseAt and RestoreAt are offsets into the event's scenario;
	// RaiseClock and RestoreClock the same instants as UTC times of day.
	RaiseAt      Seconds   `json:"raiseAtSeconds"`
	RestoreAt    Seconds   `json:"restoreAtSeconds"`
	RaiseClock   TimeOfDay `json:"raiseClock"`
	RestoreClock TimeOfDay `json:"restoreClock"`
	// Raise and Restore are the dated instants, for a dated event.
	Raise   time.Time `json:"raise,omitzero"`
	Restore time.Time `json:"restore,omitzero"`
	// NewNodes is how many nodes the cluster must add for the event.
	NewNodes int `json:"newNodes"`
	// Events name the events whose pre-scales of this target overlap and
	// were merged into this one schedule (empty for an event alone).
	Events    []string `json:"events,omitempty"`
	Rationale []string `json:"rationale"`
}

// RestoreDelay is how long after the fall the floor is restored at the
// earliest, so the HPA scales down by its own behaviour rather than all at
// once (later when the simulated load needs the floor longer).
const RestoreDelay = 15 * time.Minute

// HPAName is the name of a service's HPA object: the plan's hpaName, or by
// default "<workload>-hpa" as the NOA runbook names them.
func HPAName(s *Service) string {
	if s.HPAName != "" {
		return s.HPAName
	}
	return s.WorkloadRef.Name + "-hpa"
}

// WithScenario returns a copy of the plan with sc added (replacing a
// scenario of the same name), validated.
func (p *Plan) WithScenario(sc Scenario) (*Plan, error) {
	if sc.Mode == "" {
		sc.Mode = ModeMultiplier
	}
	q := *p
	q.Scenarios = slices.DeleteFunc(slices.Clone(p.Scenarios), func(s Scenario) bool { return s.Name == sc.Name })
	q.Scenarios = append(q.Scenarios, sc)
	if err := q.Validate(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	return &q, nil
}

// WithPreScales returns a copy of the plan whose services carry the
// pre-scale as scheduled actions (raise and restore), for simulating it.
func (p *Plan) WithPreScales(pss []PreScale) *Plan {
	q := *p
	q.Services = slices.Clone(p.Services)
	for _, ps := range pss {
		for i := range q.Services {
			s := &q.Services[i]
			if s.Name != ps.Service {
				continue
			}
			s.ScheduledScaling = slices.Clone(s.ScheduledScaling)
			raise := ScheduledAction{Name: "pre-scale", At: ps.RaiseClock}
			restore := ScheduledAction{Name: "restore", At: ps.RestoreClock}
			if s.HPA != nil {
				raise.MinReplicas, restore.MinReplicas = ptrOf(ps.To), ptrOf(ps.From)
				if ps.MaxTo > ps.MaxFrom {
					raise.MaxReplicas, restore.MaxReplicas = ptrOf(ps.MaxTo), ptrOf(ps.MaxFrom)
				}
			} else {
				raise.Replicas, restore.Replicas = ptrOf(ps.To), ptrOf(ps.From)
			}
			s.ScheduledScaling = append(s.ScheduledScaling, raise, restore)
		}
	}
	return &q
}

// QuietScenario is sc without its spikes: the same window at today's
// traffic, the baseline an event's cost is measured against.
func QuietScenario(sc *Scenario) Scenario {
	q := *sc
	q.Name = sc.Name + "-baseline"
	q.Description = "The window of " + sc.Name + " without the event."
	q.Profile = slices.DeleteFunc(slices.Clone(sc.Profile), func(c Component) bool { return c.Spike != nil })
	return q
}

// CronSchedule is a cron expression for a pre-scale instant: once a year on
// the event's date for a dated event, every day at the time of day otherwise.
func CronSchedule(at time.Time, clock TimeOfDay) string {
	if !at.IsZero() {
		return fmt.Sprintf("%d %d %d %d *", at.Minute(), at.Hour(), at.Day(), int(at.Month()))
	}
	d := time.Duration(clock)
	return fmt.Sprintf("%d %d * * *", int(d/time.Minute)%60, int(d/time.Hour))
}
