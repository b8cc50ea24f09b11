package sim

import (
	"os"
	"testing"
)

func FuzzParseServiceHistogram(f *testing.F) {
	if b, err := os.ReadFile("testdata/histogram.csv"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("# le,count\n100ms,10\n250ms,30\n1s,5\n"))
	f.Add([]byte("0.1,1\n0.1,2\n"))
	f.Add([]byte("1e308,1\nInf,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseServiceHistogram("h.csv", data)
		if err != nil {
			return
		}
		s, err := newEmpirical(b)
		if err != nil {
			t.Fatalf("accepted histogram rejected by the sampler: %v", err)
		}
		if m := s.mean(); !(m > 0) || m > b[len(b)-1].UpperSeconds {
			t.Fatalf("mean %g outside (0, %g]", m, b[len(b)-1].UpperSeconds)
		}
	})
}
