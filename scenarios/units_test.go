package scenarios

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr string
	}{
		{"1000/min", 1000.0 / 60, ""},
		{"16.5/s", 16.5, ""},
		{"7200/h", 2, ""},
		{" 60 / minute ", 1, ""},
		{"0/s", 0, ""},
		{"1000", 0, `rate "1000" has no unit; write it as <number>/s, <number>/min or <number>/h`},
		{"-5/s", 0, `rate "-5/s" is negative`},
		{"fast/s", 0, `rate "fast/s": "fast" is not a number`},
		{"NaN/s", 0, `rate "NaN/s": "NaN" is not a number`},
		{"5/day", 0, `rate "5/day": unknown unit "day"; use s, min or h`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseRate(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || math.Abs(got.PerSecond-tt.want) > 1e-12 {
				t.Fatalf("ParseRate(%q) = %v, %v; want %g/s", tt.in, got.PerSecond, err, tt.want)
			}
		})
	}
}

func TestParseTimeOfDay(t *testing.T) {
	for _, ok := range []string{"00:00", "08:30", "23:59", "24:00"} {
		v, err := ParseTimeOfDay(ok)
		if err != nil || v.String() != ok {
			t.Errorf("ParseTimeOfDay(%q) = %v, %v", ok, v, err)
		}
	}
	for _, bad := range []string{"8", "8:5", "24:01", "25:00", "-1:00", "ab:cd", "12:60"} {
		if _, err := ParseTimeOfDay(bad); err == nil {
			t.Errorf("ParseTimeOfDay(%q) accepted", bad)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"1000/min", "16.5/s", "1e308/s", "-0/s", "/", "1/", "inf/h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			return
		}
		if math.IsNaN(r.PerSecond) || math.IsInf(r.PerSecond, 0) || r.PerSecond < 0 {
			t.Fatalf("ParseRate(%q) = %g", s, r.PerSecond)
		}
	})
}

func FuzzParseTimeOfDay(f *testing.F) {
	for _, s := range []string{"00:00", "24:00", "12:3", "99:99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseTimeOfDay(s)
		if err == nil && (v < 0 || v > TimeOfDay(day)) {
			t.Fatalf("ParseTimeOfDay(%q) = %v", s, v)
		}
	})
}

// TestSeconds_JSON: a Seconds writes seconds as a JSON number and reads
// them back to the nanosecond; what is not a finite number of seconds in
// range is an error.
func TestSeconds_JSON(t *testing.T) {
	for _, d := range []time.Duration{0, time.Nanosecond, 250 * time.Millisecond, 90 * time.Second, 27614 * time.Second, 400 * 24 * time.Hour, -time.Minute} {
		b, err := json.Marshal(Seconds(d))
		if err != nil {
			t.Fatal(err)
		}
		if want := strconv.FormatFloat(d.Seconds(), 'f', -1, 64); string(b) != want {
			t.Errorf("%s marshals as %s, want %s", d, b, want)
		}
		var back Seconds
		if err := json.Unmarshal(b, &back); err != nil || back.D() != d {
			t.Errorf("%s: read back %s, %v", d, back.D(), err)
		}
	}
	for _, in := range []string{`"90s"`, `1e300`, `-1e300`, `null1`, `true`} {
		var s Seconds
		if err := json.Unmarshal([]byte(in), &s); err == nil {
			t.Errorf("%s read as %s, want an error", in, s)
		}
	}
}

func FuzzSeconds_UnmarshalJSON(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-2", "1e9", "9.3e9", `"1s"`, "NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var s Seconds
		if err := json.Unmarshal([]byte(in), &s); err != nil {
			return
		}
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("%q read as %d ns does not marshal: %v", in, int64(s), err)
		}
		var back Seconds
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%q: %s does not read back: %v", in, b, err)
		}
		if diff := back - s; diff > 1 || diff < -1 {
			t.Errorf("%q: %d ns wrote %s and read back %d ns", in, int64(s), b, int64(back))
		}
	})
}
