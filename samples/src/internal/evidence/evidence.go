// Package evidence writes every kind of memory evidence a Go process can
// leave behind into one directory (one heapscope "case"). It is shared by the
// sample programs leaky and healthy so both write exactly the same files.
//
// Only the standard library is used, so the programs build with Go 1.19 and
// Go 1.23 without a module proxy.
package evidence

import (
	"bytes"
	"encoding/json"
	"expvar"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"
)

// Case collects evidence for one process into Dir.
type Case struct {
	Dir    string
	series [][]byte // memstats.jsonl lines, written by Finish
	files  []string // evidence files written, in order
}

// New creates dir (and parents) and returns a Case writing into it.
func New(dir string) *Case {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatalf("evidence: %v", err)
	}
	return &Case{Dir: dir}
}

// Files lists the evidence files written so far (names relative to Dir).
func (c *Case) Files() []string { return append([]string(nil), c.files...) }

func (c *Case) path(name string) string {
	c.files = append(c.files, name)
	return filepath.Join(c.Dir, name)
}

func (c *Case) create(name string) *os.File {
	f, err := os.Create(c.path(name))
	if err != nil {
		log.Fatalf("evidence: %v", err)
	}
	return f
}

func closeOrDie(f io.Closer) {
	if err := f.Close(); err != nil {
		log.Fatalf("evidence: %v", err)
	}
}

// Snapshot appends one MemStats snapshot, with a "time" field (RFC 3339 with
// nanoseconds) first, to the memstats.jsonl series.
func (c *Case) Snapshot() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	body, err := json.Marshal(&ms)
	if err != nil {
		log.Fatalf("evidence: %v", err)
	}
	line := fmt.Sprintf(`{"time":%q,`, time.Now().UTC().Format(time.RFC3339Nano))
	c.series = append(c.series, append([]byte(line), body[1:]...))
}

// Snapshots is the number of memstats.jsonl lines recorded so far.
func (c *Case) Snapshots() int { return len(c.series) }

// CPUProfile runs work under the CPU profiler and writes cpu.pb.gz.
func (c *Case) CPUProfile(work func()) {
	f := c.create("cpu.pb.gz")
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatalf("evidence: %v", err)
	}
	work()
	pprof.StopCPUProfile()
	closeOrDie(f)
}

// HeapDump writes heap.dump with runtime/debug.WriteHeapDump. The caller
// runs runtime.GC() first and keeps its planted data alive past this call.
func (c *Case) HeapDump() { c.HeapDumpAs("heap.dump") }

// HeapDumpAs writes a heap dump under another name (a series of dumps).
func (c *Case) HeapDumpAs(name string) {
	f := c.create(name)
	debug.WriteHeapDump(f.Fd())
	closeOrDie(f)
}

// HeapProfile writes only the heap profile (gzipped protobuf) as name.
func (c *Case) HeapProfile(name string) {
	f := c.create(name)
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		log.Fatalf("evidence: heap: %v", err)
	}
	closeOrDie(f)
}

// Profiles writes the pprof protobuf profiles (gzipped, as runtime/pprof
// always writes them) and the debug=1/debug=2 text forms.
func (c *Case) Profiles() {
	for _, name := range []string{"heap", "allocs", "goroutine", "mutex", "block", "threadcreate"} {
		f := c.create(name + ".pb.gz")
		if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
			log.Fatalf("evidence: %s: %v", name, err)
		}
		closeOrDie(f)
	}
	text := func(file, name string, debugLevel int) {
		f := c.create(file)
		if err := pprof.Lookup(name).WriteTo(f, debugLevel); err != nil {
			log.Fatalf("evidence: %s: %v", name, err)
		}
		closeOrDie(f)
	}
	text("heap-debug1.txt", "heap", 1)
	text("goroutines-debug1.txt", "goroutine", 1)
	text("goroutines-debug2.txt", "goroutine", 2)
}

// GoroutineText returns the debug=2 goroutine dump, for self-checks.
func GoroutineText() string {
	var b bytes.Buffer
	pprof.Lookup("goroutine").WriteTo(&b, 2)
	return b.String()
}

// MemStats writes memstats.json (json.Marshal of runtime.MemStats) and
// vars.json (what expvar's /debug/vars handler serves: cmdline + memstats).
func (c *Case) MemStats() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	body, err := json.MarshalIndent(&ms, "", "  ")
	if err != nil {
		log.Fatalf("evidence: %v", err)
	}
	c.writeFile("memstats.json", append(body, '\n'))

	rec := httptest.NewRecorder()
	expvar.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/debug/vars", nil))
	c.writeFile("vars.json", rec.Body.Bytes())
}

func (c *Case) writeFile(name string, data []byte) {
	if err := os.WriteFile(c.path(name), data, 0o644); err != nil {
		log.Fatalf("evidence: %v", err)
	}
}

// Proc copies /proc/self/smaps_rollup and /proc/self/status, and the cgroup
// v2 memory files of this process's cgroup when the machine has them.
// It returns a note on what cgroup files were (not) found.
func (c *Case) Proc() string {
	for _, name := range []string{"smaps_rollup", "status"} {
		data, err := os.ReadFile("/proc/self/" + name)
		if err != nil {
			log.Printf("evidence: /proc/self/%s: %v", name, err)
			continue
		}
		c.writeFile(name, data)
	}
	dir := cgroup2Dir()
	if dir == "" {
		return "no cgroup v2 memory controller reachable (memory.current not found)"
	}
	for _, name := range []string{"memory.current", "memory.max", "memory.stat", "memory.peak", "memory.events", "memory.high", "memory.swap.current"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err == nil {
			c.writeFile(name, data)
		}
	}
	return "cgroup v2 files copied from " + dir
}

// cgroup2Dir finds the cgroup v2 directory of this process that has
// memory.current, trying the unified mount points; "" if none.
func cgroup2Dir() string {
	rel := "/"
	if data, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "0::") {
				rel = strings.TrimPrefix(line, "0::")
			}
		}
	}
	for _, mount := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		for _, dir := range []string{filepath.Join(mount, rel), mount} {
			if _, err := os.Stat(filepath.Join(dir, "memory.current")); err == nil {
				return dir
			}
		}
	}
	return ""
}

// Finish writes memstats.jsonl.
func (c *Case) Finish() {
	var b bytes.Buffer
	for _, line := range c.series {
		b.Write(line)
		b.WriteByte('\n')
	}
	c.writeFile("memstats.jsonl", b.Bytes())
}

// Facts writes facts.json (indented, keys in the order of the Go structs;
// maps are sorted by encoding/json).
func (c *Case) Facts(v interface{}) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		log.Fatalf("evidence: %v", err)
	}
	c.writeFile("facts.json", append(body, '\n'))
}

// Hex formats an address the way Go tracebacks and heapscope print them.
func Hex(p uintptr) string { return fmt.Sprintf("0x%x", p) }

// SizeClass rounds a small allocation size up to its Go size class (the
// table is identical in Go 1.19 and 1.23); large sizes round up to pages.
func SizeClass(n uintptr) uintptr {
	for _, c := range sizeClasses {
		if n <= c {
			return c
		}
	}
	const page = 8192
	return (n + page - 1) / page * page
}

var sizeClasses = []uintptr{8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768}
