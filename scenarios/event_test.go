package scenarios

import (
	"testing"
	"time"
)

func TestCronSchedule(t *testing.T) {
	ev, err := NewEvent("black-friday", mustTime(t, "2026-11-27T14:00:00Z"), mustTime(t, "2026-11-27T18:00:00Z"), 5, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := CronSchedule(ev.Start.Add(-25*60e9), 0); got != "35 13 27 11 *" {
		t.Errorf("dated cron = %q", got)
	}
	if got := CronSchedule(time.Time{}, TimeOfDay(13*time.Hour+35*time.Minute)); got != "35 13 * * *" {
		t.Errorf("undated cron = %q", got)
	}
	if _, err := NewEvent("Bad Name", ev.Start, ev.End, 5, 0, nil); err == nil {
		t.Error("bad name accepted")
	}
	if _, err := NewEvent("x", ev.End, ev.Start, 5, 0, nil); err == nil {
		t.Error("end before start accepted")
	}
	if _, err := NewEvent("x", ev.Start, ev.End, 0, 0, nil); err == nil {
		t.Error("zero peak accepted")
	}
	sc := ev.ScenarioFor()
	if time.Duration(sc.Start) != 11*time.Hour {
		t.Errorf("scenario starts %s, want 11:00 (3 h lead-in)", sc.Start)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
