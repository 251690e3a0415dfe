package evidence

import (
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
	"unsafe"
)

// Common holds the facts.json keys every problem program writes (the
// program-specific keys come from the struct that embeds it).
type Common struct {
	Program        string               `json:"program"`
	Mode           string               `json:"mode"`
	GoVersion      string               `json:"go_version"`
	GOOS           string               `json:"goos"`
	GOARCH         string               `json:"goarch"`
	PtrSize        uintptr              `json:"ptr_size"`
	NumCPU         int                  `json:"ncpu"`
	GOMAXPROCS     int                  `json:"gomaxprocs"`
	MemProfileRate int                  `json:"memprofilerate"`
	MallocHeader   bool                 `json:"malloc_header"`
	Pid            int                  `json:"pid"`
	GODEBUG        string               `json:"godebug"`
	GOMEMLIMIT     string               `json:"gomemlimit,omitempty"`
	Globals        map[string]string    `json:"globals"`
	GlobalVars     map[string]GlobalVar `json:"global_vars"`
	Types          []TypeFact           `json:"types"`

	Goroutines      []GoroutineFact `json:"goroutines,omitempty"`
	GoroutinesTotal int             `json:"goroutines_total"` // goroutines in the runtime's own debug=2 dump right before the heap dump
	NumGoroutine    int             `json:"num_goroutine"`    // runtime.NumGoroutine() then (it leaves out a finalizer goroutine running a finalizer)
	HoldSeconds     float64         `json:"hold_seconds,omitempty"`

	NumGC       uint32   `json:"num_gc"`        // gctrace.log has exactly this many "gc N @" lines
	NumForcedGC uint32   `json:"num_forced_gc"` // of which "(forced)"
	Snapshots   int      `json:"memstats_snapshots"`
	ProcNote    string   `json:"cgroup"`
	Evidence    []string `json:"evidence"`
}

// Base gives Run the common part of a program's facts.
func (c *Common) Base() *Common { return c }

// Facts is a program's facts.json struct (it embeds Common).
type Facts interface{ Base() *Common }

// GoroutineFact is one group of planted goroutines: all parked in Function.
type GoroutineFact struct {
	Function  string `json:"function"` // a frame every goroutine of the group has
	Count     int    `json:"count"`
	State     string `json:"state"`                // wait reason as Go 1.23 prints it
	State119  string `json:"state_go1_19"`         // as Go 1.19 prints it
	CreatedBy string `json:"created_by,omitempty"` // "": the dump names no creator
	Site      string `json:"site,omitempty"`       // the user function responsible
	Retains   string `json:"retains,omitempty"`
}

// Options change Run's defaults.
type Options struct {
	// Hold is slept after plant and before the evidence is written, so
	// parked goroutines have waited that long (`, N minutes` in dumps).
	Hold time.Duration
	// FinalDump names the heap dump written at the end ("heap.dump"), and
	// FinalHeapProfile, if set, is an extra copy of the heap profile then.
	FinalDump, FinalHeapProfile string
}

// MallocHeader: Go >= 1.22 puts an 8-byte type header in front of objects
// larger than 512 bytes that contain pointers.
func MallocHeader() bool {
	var major, minor int
	fmt.Sscanf(runtime.Version(), "go%d.%d", &major, &minor)
	return major > 1 || minor >= 22
}

// Run is main() for the problem programs: it parses -out and
// -memprofilerate, fills the common facts, calls plant (which plants the
// problem, fills the program's facts and may take snapshots), then forces a
// GC, writes every kind of evidence and facts.json, with GC disabled after
// the evidence so num_gc is exact.
func Run(program string, f Facts, opt Options, plant func(c *Case)) {
	out := flag.String("out", "out", "directory to write evidence into")
	rate := flag.Int("memprofilerate", 0, "set runtime.MemProfileRate (0: keep Go's default)")
	hold := flag.Duration("hold", opt.Hold, "wait this long after planting, before writing evidence")
	flag.Parse()
	if *rate > 0 {
		runtime.MemProfileRate = *rate
	}
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	b := f.Base()
	*b = Common{Program: program, Mode: "evidence", GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		PtrSize: unsafe.Sizeof(uintptr(0)), NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		MemProfileRate: runtime.MemProfileRate, MallocHeader: MallocHeader(), Pid: os.Getpid(),
		GODEBUG: os.Getenv("GODEBUG"), GOMEMLIMIT: os.Getenv("GOMEMLIMIT")}
	log.Printf("%s starting, pid %d, %s, MemProfileRate %d", program, b.Pid, b.GoVersion, b.MemProfileRate)
	c := New(*out)
	c.Snapshot()
	plant(c)
	if *hold > 0 {
		log.Printf("holding %v", *hold)
		time.Sleep(*hold)
		b.HoldSeconds = hold.Seconds()
	}
	runtime.GC()
	log.Printf("final forced GC; writing evidence")
	b.GoroutinesTotal = CountGoroutines()
	b.NumGoroutine = runtime.NumGoroutine()
	c.Snapshot()
	if opt.FinalDump != "" {
		c.HeapDumpAs(opt.FinalDump)
	} else {
		c.HeapDump()
	}
	if opt.FinalHeapProfile != "" {
		c.HeapProfile(opt.FinalHeapProfile)
	}
	c.Profiles()
	c.MemStats()
	b.ProcNote = c.Proc()
	b.Snapshots = c.Snapshots()
	c.Finish()
	c.Done(f)
}

// Done ends a run: it disables GC (so the cycle count is final), records
// the GC counts and evidence files and writes facts.json.
func (c *Case) Done(f Facts) {
	debug.SetGCPercent(-1)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b := f.Base()
	b.NumGC, b.NumForcedGC = ms.NumGC, ms.NumForcedGC
	b.Evidence = append(c.Files(), "facts.json")
	c.Facts(f)
	log.Printf("done: %d GC cycles (%d forced)", b.NumGC, b.NumForcedGC)
}

// Site is per-site facts for a group of planted objects (the same keys as
// leaky's): the tests check every address is a dumped object of alloc_size.
type Site struct {
	Count      int      `json:"count"`
	Type       string   `json:"type,omitempty"`
	Size       uintptr  `json:"size"`                   // bytes asked for
	AllocSize  uintptr  `json:"alloc_size"`             // the object's size in the heap (size class)
	Site       string   `json:"site"`                   // function that allocates it
	Header     uintptr  `json:"header_bytes,omitempty"` // 8: Go 1.22+ malloc header; addrs are 8 bytes into the object
	Global     string   `json:"global,omitempty"`
	TotalBytes uintptr  `json:"total_bytes"` // count * alloc_size
	FirstAddr  string   `json:"first_addr,omitempty"`
	Addrs      []string `json:"addrs,omitempty"`
	Notes      string   `json:"notes,omitempty"`
}

// Churn allocates mb MiB of short-lived garbage in chunk-byte pieces.
//
//go:noinline
func Churn(mb, chunk int) {
	for i := 0; i < mb<<20/chunk; i++ {
		churnSink = make([]byte, chunk)
	}
	churnSink = nil
}

var churnSink []byte

// HeapSize is the size of the heap object a new(T) or make of size bytes
// lands in, and the malloc header in front of the value (Go 1.22+: 8 bytes
// for objects with pointers of 513 to 32760 bytes; the Go pointer is then
// 8 bytes into the object).
func HeapSize(size uintptr, pointers bool) (alloc, header uintptr) {
	if pointers && MallocHeader() && size > 512 && size <= 32768-8 {
		header = 8
	}
	return SizeClass(size + header), header
}

// CountGoroutines counts the goroutines the runtime lists in a debug=2
// goroutine dump (what pprof and heapscope see as user goroutines).
func CountGoroutines() int {
	n := 0
	for _, l := range strings.Split(GoroutineText(), "\n") {
		if strings.HasPrefix(l, "goroutine ") && strings.HasSuffix(l, ":") {
			n++
		}
	}
	return n
}
