// Package parallel runs independent pieces of work side by side: the
// workflow files a repository holds are parsed so, and their runs read so.
package parallel

import (
	"runtime"
	"sync"
)

// Each calls f on every item, at most GOMAXPROCS at a time, starting them
// in the order given, and returns when every call has returned. Callers put
// the largest item first, so that no big one starts last and runs alone.
// A single item runs on the calling goroutine: a goroutine of its own would
// cost more than it saves, its stack growing again from nothing.
func Each[T any](items []T, f func(T)) {
	if len(items) == 1 {
		f(items[0])
		return
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for _, item := range items {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			f(item)
		}()
	}
	wg.Wait()
}
