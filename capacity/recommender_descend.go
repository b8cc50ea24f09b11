package capacity

// bounds are the ranges one descent searches: targets from tLo to tHi in
// steps of tStep, minReplicas from mLo (starting at mStart), maxReplicas
// from MLo up to ceil.
type bounds struct {
	tLo, tHi, tStep int32
	// tHint is the target the first bisection tries first.
	tHint       int32
	mLo, mStart int32
	MLo, ceil   int32
	up          uint8
}

// descend is one pass of coordinate bisections: the largest target that
// holds at the ceiling (burn is non-decreasing in it); when none does, the
// smallest minReplicas that holds at the lowest target; then the smallest
// maxReplicas, the smallest minReplicas, and the target raised again with
// the new bounds. It returns the setting it ends at.
func (s *search) descend(b bounds) (setting, error) {
	st := setting{t: b.tHi, m: b.mStart, M: max(b.ceil, b.mStart), up: b.up}
	targets := steps(b.tLo, b.tHi, b.tStep)
	if b.tHi > 0 {
		t, found, err := s.bisect(targets, true, indexOf(targets, b.tHint), func(v int32) setting { x := st; x.t = v; return x })
		if err != nil {
			return st, err
		}
		if found {
			st.t = t
		} else {
			st.t = b.tLo
		}
	}
	if p, err := s.eval(st); err != nil {
		return st, err
	} else if !ok(p) {
		// Not even the lowest target at the ceiling holds: a higher floor
		// is the last lever (a ramp faster than the HPA's scale-up).
		m, found, err := s.bisect(steps(st.m, st.M, 1), false, 0, func(v int32) setting { x := st; x.m = v; return x })
		if err != nil {
			return st, err
		}
		if found {
			st.m = m
		}
	}
	if p, _ := s.eval(st); ok(p) {
		// maxReplicas: the smallest that holds, not below the lower bound.
		M, found, err := s.bisect(steps(max(b.MLo, st.m), st.M, 1), false, 0, func(v int32) setting { x := st; x.M = v; return x })
		if err != nil {
			return st, err
		}
		if found {
			st.M = M
		}
		// minReplicas: the smallest that holds, not below the floor.
		m, found, err := s.bisect(steps(b.mLo, st.m, 1), false, 0, func(v int32) setting { x := st; x.m = v; return x })
		if err != nil {
			return st, err
		}
		if found {
			st.m = m
		}
		// With the new bounds, the target may rise again; when they pin
		// the replicas the target does nothing, and today's is kept.
		if pinned := st.m == st.M; pinned && b.tLo <= s.cur.t && s.cur.t <= b.tHi && st.t != s.cur.t {
			x := st
			x.t = s.cur.t
			if p, err := s.eval(x); err != nil {
				return st, err
			} else if ok(p) {
				st = x
			}
		} else if b.tHi > 0 && st.t < b.tHi && !pinned {
			t, found, err := s.bisect(steps(st.t, b.tHi, b.tStep), true, 1, func(v int32) setting { x := st; x.t = v; return x })
			if err != nil {
				return st, err
			}
			if found {
				st.t = t
			}
		}
	}
	return st, nil
}

// indexOf is the index of the first value at least v (the last when none
// is).
func indexOf(vals []int32, v int32) int {
	for i, x := range vals {
		if x >= v {
			return i
		}
	}
	return len(vals) - 1
}

// steps are lo, lo+step, … up to hi, and hi itself; none when lo > hi.
func steps(lo, hi, step int32) []int32 {
	var out []int32
	for v := lo; v < hi; v += step {
		out = append(out, v)
	}
	if lo <= hi {
		out = append(out, hi)
	}
	return out
}

// bisect finds, over the ascending values vals, the largest (up: the
// predicate holds below a threshold) or the smallest (!up: it holds above
// one) for which ok holds, assuming monotonicity; found is false when none
// does. It tries vals[hint] first, gallops away from it in steps that
// double until the predicate changes, then bisects between the last two
// values tried: a hint near the answer costs a few evaluations, and the
// far end (the value that holds most surely and costs most to run) is
// tried only when the answer is there.
func (s *search) bisect(vals []int32, up bool, hint int, at func(int32) setting) (int32, bool, error) {
	n := len(vals)
	if n == 0 {
		return 0, false, nil
	}
	// Index i in "holds on a prefix" order.
	idx := func(i int) int {
		if up {
			return i
		}
		return n - 1 - i
	}
	test := func(i int) (bool, error) {
		p, err := s.eval(at(vals[idx(i)]))
		if err != nil {
			return false, err
		}
		return ok(p), nil
	}
	h := min(max(idx(hint), 0), n-1)
	// Invariant: the predicate holds at lo (or lo is -1) and fails at hi
	// (or hi is n).
	lo, hi := -1, n
	good, err := test(h)
	if err != nil {
		return 0, false, err
	}
	if good {
		lo = h
		for step := 1; h+step < hi; step *= 2 {
			g, err := test(h + step)
			if err != nil {
				return 0, false, err
			}
			if !g {
				hi = h + step
				break
			}
			lo = h + step
		}
	} else {
		hi = h
		for step := 1; h-step > lo; step *= 2 {
			g, err := test(h - step)
			if err != nil {
				return 0, false, err
			}
			if g {
				lo = h - step
				break
			}
			hi = h - step
		}
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		g, err := test(mid)
		if err != nil {
			return 0, false, err
		}
		if g {
			lo = mid
		} else {
			hi = mid
		}
	}
	if lo < 0 {
		return 0, false, nil
	}
	return vals[idx(lo)], true, nil
}
