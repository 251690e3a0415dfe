// Command gcpause plants long stop-the-world pauses: run with
// GODEBUG=asyncpreemptoff=1 (gen.sh does), a goroutine spins in a loop with
// no function calls, so it cannot be preempted, while main asks for a GC;
// the stop-the-world waits for the loop to end. Five such pauses of at
// least 100 ms (on an idle machine about 230 ms). Writes the evidence and facts.json (see samples/README.md,
// "gcpause"). The bound of each pause is measured, not assumed: the
// stop-the-world cannot end before the loop does, so it lasts at least from
// the runtime.GC() call to the loop's end.
package main

import (
	"log"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"heapscope/samples/internal/evidence"
)

const (
	nPauses   = 5
	spinFor   = 400 * time.Millisecond
	minBound  = 100 * time.Millisecond
	headStart = 20 * time.Millisecond
)

var (
	spinning int32
	result   uint64
	data     [][]byte // some live heap, so the cycles have work
)

// calibrate returns how many iterations of spinLoop take about d.
func calibrate(d time.Duration) int {
	n := 1 << 20
	for {
		t := time.Now()
		spinLoop(n)
		if el := time.Since(t); el > 20*time.Millisecond {
			return int(float64(n) * float64(d) / float64(el))
		}
		n *= 2
	}
}

// spinLoop has no calls and no allocation: without asynchronous
// preemption nothing can stop it before it ends.
//
//go:noinline
func spinLoop(n int) uint64 {
	x := uint64(88172645463325252)
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

//go:noinline
func spinner(n int, done chan [2]time.Time) {
	atomic.StoreInt32(&spinning, 1)
	t := time.Now()
	result += spinLoop(n)
	done <- [2]time.Time{t, time.Now()}
}

type facts struct {
	evidence.Common
	Pauses       int      `json:"planted_pauses"` // attempts whose bound is at least 100 ms (at most 15 attempts)
	MinPauseNs   int64    `json:"min_pause_ns"`   // the smallest pause_bound_ns of at least 100 ms: the planted pauses last at least this long
	PauseBoundNs []int64  `json:"pause_bound_ns"` // per attempt: from the runtime.GC() call to the loop's end
	SpinNs       []int64  `json:"spin_ns"`        // how long each spinning loop ran (measured by the spinner)
	GCCallNs     []int64  `json:"gc_call_ns"`     // how long each runtime.GC() call took (measured by main)
	SpinFunction string   `json:"spin_function"`  // the call-free loop
	AsyncPreempt bool     `json:"async_preemption"`
	PauseCycles  []uint32 `json:"pause_gc_cycles"` // per attempt: MemStats.NumGC after its runtime.GC() ("gc N" in gctrace)
}

func main() {
	var f facts
	evidence.Run("gcpause", &f, evidence.Options{}, func(c *evidence.Case) {
		f.AsyncPreempt = !strings.Contains(os.Getenv("GODEBUG"), "asyncpreemptoff=1")
		if f.AsyncPreempt {
			log.Printf("warning: GODEBUG lacks asyncpreemptoff=1: the loop can be preempted")
		}
		for i := 0; i < 2000; i++ {
			data = append(data, make([]byte, 4096))
		}
		f.SpinFunction = "main.spinLoop"
		for try := 0; f.Pauses < nPauses && try < 3*nPauses; try++ {
			n := calibrate(spinFor) // the machine's speed changes under load
			done := make(chan [2]time.Time)
			atomic.StoreInt32(&spinning, 0)
			go spinner(n, done)
			for atomic.LoadInt32(&spinning) == 0 {
				runtime.Gosched()
			}
			time.Sleep(headStart)
			t := time.Now()
			runtime.GC()
			f.GCCallNs = append(f.GCCallNs, int64(time.Since(t)))
			spin := <-done
			bound := int64(spin[1].Sub(t))
			f.SpinNs, f.PauseBoundNs = append(f.SpinNs, int64(spin[1].Sub(spin[0]))), append(f.PauseBoundNs, bound)
			if bound >= int64(minBound) {
				if f.Pauses == 0 || bound < f.MinPauseNs {
					f.MinPauseNs = bound
				}
				f.Pauses++
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			f.PauseCycles = append(f.PauseCycles, ms.NumGC)
			c.Snapshot()
		}
		f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.data": &data})
	})
}
