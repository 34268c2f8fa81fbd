//go:build linux

// Command pagefault measures what this machine charges for the first touch
// of a fresh page of memory: a short process that never collects pays it
// for every page it allocates, which is why allocations weigh on the
// audit's whole-process figures more than on its in-process ones
// (docs/speed.md, "What is left"):
//
//	go run ./internal/bench/pagefault
package main

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

func main() {
	const pages = 4096
	size := os.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, pages*size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pagefault:", err)
		os.Exit(1)
	}
	start := time.Now()
	for i := range pages {
		mem[i*size] = 1
	}
	per := time.Since(start) / pages
	fmt.Printf("%d fresh pages of %d bytes: %v each, %.1f ns a byte\n", pages, size, per, float64(per)/float64(size))
}
