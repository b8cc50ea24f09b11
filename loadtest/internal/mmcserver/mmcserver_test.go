package mmcserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestSamplePath(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name               string
		arrivals, services []time.Duration
		c                  int
		want               []time.Duration
	}{
		{"M/M/1 Lindley", ms(0, 1, 2, 10), ms(5, 5, 5, 1), 1, ms(0, 4, 8, 5)},
		{"two servers", ms(0, 1, 2, 3), ms(10, 10, 1, 1), 2, ms(0, 0, 8, 8)},
		{"idle servers never wait", ms(0, 100, 200), ms(10, 10, 10), 3, ms(0, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SamplePath(tc.arrivals, tc.services, tc.c)
			for i := range tc.want {
				if got[i] != tc.want[i] {
					t.Errorf("waits %v, want %v", got, tc.want)
					break
				}
			}
		})
	}
}

func TestServer_ServesAndCounts(t *testing.T) {
	s, err := New(Config{Workers: 2, MeanService: time.Millisecond, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	for range 20 {
		resp, err := http.Get(srv.URL + "/x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if st := s.Stats(); st.Served != 20 || len(s.ServiceTimes()) != 20 || st.MeanService() <= 0 {
		t.Errorf("stats %+v", st)
	}
	if _, err := New(Config{Workers: 0, MeanService: time.Millisecond}); err == nil {
		t.Error("0 workers accepted")
	}
}
