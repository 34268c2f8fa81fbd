package parallel

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Every item is worked on once, and never more than GOMAXPROCS at a time.
func TestEachBoundsTheWork(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	items := make([]int, 40)
	for i := range items {
		items[i] = i
	}
	var mu sync.Mutex
	var seen []int
	var running, most atomic.Int32
	Each(items, func(i int) {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(time.Millisecond)
		running.Add(-1)
		mu.Lock()
		seen = append(seen, i)
		mu.Unlock()
	})
	slices.Sort(seen)
	if !slices.Equal(seen, items) {
		t.Errorf("worked on %v, want each of %v once", seen, items)
	}
	if m := most.Load(); m > 3 || m < 2 {
		t.Errorf("%d at a time with GOMAXPROCS 3, want 2 or 3", m)
	}
}

// One item is worked on by the caller, with no goroutine of its own; none
// is no work.
func TestEachOneOnTheCaller(t *testing.T) {
	before := runtime.NumGoroutine()
	var during int
	Each([]string{"only"}, func(string) { during = runtime.NumGoroutine() })
	if during != before {
		t.Errorf("%d goroutines while working on one item, %d before: it did not run on the caller", during, before)
	}
	Each(nil, func(string) { t.Error("called for no item") })
}
