// Command growth is a process whose live heap grows, captured three times:
// heap dumps heap1/heap2/heap3.dump and heap profiles heap1/heap2/heap3.pb.gz,
// with a MemStats series and gctrace over the whole run (see
// samples/README.md, "growth"):
//
//   - before dump 1: a baseline of 1000 *Record in main.records
//     (main.loadBaseline);
//   - between dumps 1 and 2: 4000 *Session, each with a 2 KiB buffer, appended
//     to main.sessions (main.openSession), and 500 temporary 8 KiB request
//     buffers held in main.pending (main.bufferRequest) at dump 2 only;
//   - between dumps 2 and 3: main.pending released, 4000 more *Session.
package main

import (
	"fmt"
	"runtime"
	"unsafe"

	"heapscope/samples/internal/evidence"
)

const (
	nBaseline  = 1000
	recordSize = 256
	nStep      = 4000
	sessionBuf = 2048
	nPending   = 500
	pendingBuf = 8192
)

// Record is baseline data.
type Record struct {
	id   int
	data [recordSize - 8]byte
}

// Session is what leaks: appended and never removed.
type Session struct {
	id   int
	user string
	buf  []byte
}

var (
	records  []*Record
	sessions = make([]*Session, 0, 2*nStep)
	pending  [][]byte
)

//go:noinline
func loadBaseline(n int) {
	for i := 0; i < n; i++ {
		records = append(records, &Record{id: i})
	}
}

//go:noinline
func openSession(id int) *Session {
	return &Session{id: id, user: "user", buf: make([]byte, sessionBuf)}
}

//go:noinline
func bufferRequest() []byte { return make([]byte, pendingBuf) }

// dumpFacts is what one heap dump holds of the planted data.
type dumpFacts struct {
	Dump         string  `json:"dump"`
	HeapProfile  string  `json:"heap_profile"`
	Sessions     int     `json:"sessions"`        // live *Session in main.sessions
	SessionBytes uintptr `json:"session_bytes"`   // sessions * (Session + buffer size classes)
	Pending      int     `json:"pending_buffers"` // live temporary buffers in main.pending
	PendingBytes uintptr `json:"pending_bytes"`
}

type facts struct {
	evidence.Common
	Dumps          []dumpFacts   `json:"dumps"`
	Baseline       evidence.Site `json:"baseline_records"`
	Step1Sessions  evidence.Site `json:"step1_sessions"` // new between dumps 1 and 2, alive in 2 and 3
	Step1Buffers   evidence.Site `json:"step1_session_buffers"`
	Step2Sessions  evidence.Site `json:"step2_sessions"` // new between dumps 2 and 3
	Step2Buffers   evidence.Site `json:"step2_session_buffers"`
	Pending        evidence.Site `json:"pending_buffers"` // in dump 2 only: the temporary garbage
	GrowthSite     string        `json:"growth_site"`
	GrowthPerStep  uintptr       `json:"growth_bytes_per_step"` // what main.openSession added between consecutive dumps
	LeakCandidates uintptr       `json:"leak_candidate_bytes"`  // new in dump 2 and still alive in dump 3: step1 sessions + buffers
	DiffBase       string        `json:"pprof_diff"`
}

func addr(p unsafe.Pointer) string { return evidence.Hex(uintptr(p)) }

func sessionSites(from int) (evidence.Site, evidence.Site) {
	var sa, ba []string
	for _, s := range sessions[from : from+5] {
		sa, ba = append(sa, addr(unsafe.Pointer(s))), append(ba, addr(unsafe.Pointer(&s.buf[0])))
	}
	ss := evidence.SizeClass(unsafe.Sizeof(Session{}))
	return evidence.Site{Count: nStep, Type: "main.Session", Size: unsafe.Sizeof(Session{}), AllocSize: ss, Site: "main.openSession",
			Global: "main.sessions", TotalBytes: nStep * ss, FirstAddr: sa[0], Addrs: sa,
			Notes: fmt.Sprintf("main.sessions[%d:%d]; addrs: the first five", from, from+nStep)},
		evidence.Site{Count: nStep, Type: "[]byte", Size: sessionBuf, AllocSize: sessionBuf, Site: "main.openSession",
			Global: "main.sessions", TotalBytes: nStep * sessionBuf, FirstAddr: ba[0], Addrs: ba,
			Notes: "each Session's .buf; addrs: the first five"}
}

func main() {
	var f facts
	ss := evidence.SizeClass(unsafe.Sizeof(Session{}))
	snap := func(c *evidence.Case, n int) dumpFacts {
		runtime.GC()
		d := dumpFacts{Dump: fmt.Sprintf("heap%d.dump", n), HeapProfile: fmt.Sprintf("heap%d.pb.gz", n), Sessions: len(sessions),
			SessionBytes: uintptr(len(sessions)) * (ss + sessionBuf), Pending: len(pending), PendingBytes: uintptr(len(pending)) * pendingBuf}
		c.Snapshot()
		c.HeapDumpAs(d.Dump)
		c.HeapProfile(d.HeapProfile)
		return d
	}
	evidence.Run("growth", &f, evidence.Options{FinalDump: "heap3.dump", FinalHeapProfile: "heap3.pb.gz"}, func(c *evidence.Case) {
		loadBaseline(nBaseline)
		rs := evidence.SizeClass(unsafe.Sizeof(Record{}))
		f.Baseline = evidence.Site{Count: nBaseline, Type: "main.Record", Size: unsafe.Sizeof(Record{}), AllocSize: rs, Site: "main.loadBaseline",
			Global: "main.records", TotalBytes: nBaseline * rs, FirstAddr: addr(unsafe.Pointer(records[0])), Notes: "alive in all three dumps"}
		f.Dumps = append(f.Dumps, snap(c, 1))

		for i := 0; i < nStep; i++ {
			sessions = append(sessions, openSession(i))
		}
		var pa []string
		for i := 0; i < nPending; i++ {
			pending = append(pending, bufferRequest())
			if i < 5 {
				pa = append(pa, addr(unsafe.Pointer(&pending[i][0])))
			}
		}
		f.Pending = evidence.Site{Count: nPending, Type: "[]byte", Size: pendingBuf, AllocSize: pendingBuf, Site: "main.bufferRequest",
			Global: "main.pending", TotalBytes: nPending * pendingBuf, FirstAddr: pa[0], Addrs: pa,
			Notes: "alive in dump 2 only (main.pending is set to nil before dump 3): temporary, not a leak; addrs: the first five"}
		f.Step1Sessions, f.Step1Buffers = sessionSites(0)
		f.Dumps = append(f.Dumps, snap(c, 2))

		pending = nil
		for i := nStep; i < 2*nStep; i++ {
			sessions = append(sessions, openSession(i))
		}
		f.Step2Sessions, f.Step2Buffers = sessionSites(nStep)
		f.Dumps = append(f.Dumps, dumpFacts{Dump: "heap3.dump", HeapProfile: "heap3.pb.gz", Sessions: len(sessions),
			SessionBytes: uintptr(len(sessions)) * (ss + sessionBuf)})
		f.GrowthSite = "main.openSession"
		f.GrowthPerStep = nStep * (ss + sessionBuf)
		f.LeakCandidates = f.GrowthPerStep
		f.DiffBase = "pprof-diff/heap2-vs-heap1.<sample_index>.txt: go tool pprof -top -diff_base heap1.pb.gz heap2.pb.gz (and heap3-vs-heap2)"
		f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.records": &records, "main.sessions": &sessions, "main.pending": &pending})
		f.Types = []evidence.TypeFact{evidence.Backing(sessions, "main.sessions", ""), evidence.Object(sessions[0], "main.sessions", "[0]"),
			evidence.Backing(sessions[0].buf, "main.sessions", "[0].buf"), evidence.Object(records[0], "main.records", "[0]")}
	})
}
