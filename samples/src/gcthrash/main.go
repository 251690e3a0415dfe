// Command gcthrash makes the GC run back to back: a live heap of 48 MiB
// under a memory limit of 56 MiB (GOMEMLIMIT, set by gen.sh), while
// main.handle allocates 768 MiB of short-lived garbage. Writes the evidence
// and facts.json (see samples/README.md, "gcthrash").
package main

import (
	"runtime"
	"runtime/debug"
	"time"

	"heapscope/samples/internal/evidence"
)

const (
	liveMB    = 48
	liveChunk = 64 << 10
	churnMB   = 768
	chunk     = 32 << 10
)

var (
	live [][]byte // the live heap: 48 MiB in 64 KiB pieces
	sink []byte
)

//go:noinline
func loadLive() {
	for i := 0; i < liveMB<<20/liveChunk; i++ {
		b := make([]byte, liveChunk)
		b[0] = byte(i)
		live = append(live, b)
	}
}

//go:noinline
func handle(mb int) {
	for i := 0; i < mb<<20/chunk; i++ {
		sink = make([]byte, chunk)
	}
	sink = nil
}

type facts struct {
	evidence.Common
	MemoryLimit    int64         `json:"memory_limit"` // debug.SetMemoryLimit(-1): what GOMEMLIMIT set
	GOGC           int           `json:"gogc"`
	Live           evidence.Site `json:"live_heap"`
	ChurnBytes     int           `json:"churn_bytes"`
	ChurnSite      string        `json:"churn_site"`
	ThrashGCs      uint32        `json:"thrash_gc_cycles"`   // GC cycles while main.handle ran
	ThrashSeconds  float64       `json:"thrash_seconds"`     // how long it ran
	ThrashFirstGC  uint32        `json:"thrash_first_gc"`    // the first and last of those cycles
	ThrashLastGC   uint32        `json:"thrash_last_gc"`     // (gctrace "gc N" numbers)
	GCCPUFraction  float64       `json:"gc_cpu_fraction"`    // MemStats.GCCPUFraction after the thrash
	BytesPerCycle  float64       `json:"churn_bytes_per_gc"` // churn_bytes / thrash_gc_cycles
	NextGCAtThrash uint64        `json:"next_gc_after_thrash"`
}

func main() {
	var f facts
	evidence.Run("gcthrash", &f, evidence.Options{}, func(c *evidence.Case) {
		f.MemoryLimit = debug.SetMemoryLimit(-1)
		f.GOGC = debug.SetGCPercent(100)
		loadLive()
		f.Live = evidence.Site{Count: len(live), Type: "[]byte", Size: liveChunk, AllocSize: liveChunk, Site: "main.loadLive",
			Global: "main.live", TotalBytes: uintptr(len(live)) * liveChunk, Notes: "the live heap the limit is set just above"}
		runtime.GC()
		c.Snapshot()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		n0 := ms.NumGC
		t0 := time.Now()
		for i := 0; i < 8; i++ {
			handle(churnMB / 8)
			c.Snapshot()
		}
		f.ThrashSeconds = time.Since(t0).Seconds()
		runtime.ReadMemStats(&ms)
		f.ThrashGCs, f.ThrashFirstGC, f.ThrashLastGC = ms.NumGC-n0, n0+1, ms.NumGC
		f.GCCPUFraction, f.NextGCAtThrash = ms.GCCPUFraction, ms.NextGC
		f.ChurnBytes, f.ChurnSite = churnMB<<20, "main.handle"
		f.BytesPerCycle = float64(f.ChurnBytes) / float64(f.ThrashGCs)
		f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.live": &live})
		f.Types = []evidence.TypeFact{evidence.Backing(live, "main.live", ""), evidence.Backing(live[0], "main.live", "[0]")}
	})
}
