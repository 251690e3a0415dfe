// Command leaky is a Go program with known, planted memory problems. It
// writes every kind of evidence heapscope reads into one directory, plus
// facts.json: the ground truth (counts, sizes, addresses) that heapscope's
// tests assert on.
//
// Planted (counts are constants below and are copied into facts.json):
//   - 40 buffers of 1 MiB, each pinned only by a 16-byte subslice kept in the
//     global `pinned` (slice retention), allocated in main.readRecord;
//   - a ring of 1000 *Session (each owning a 1 KiB []byte) reachable only
//     from the global `ring`;
//   - a map[int]*Entry of 5000 entries held by the global `registry`;
//   - 100 *Big (616-byte structs with pointers: the Go 1.22+ malloc-header
//     case) held by the global `bigs`, each pointing into one shared []int;
//   - 50 goroutines main.leakyWorker parked forever on a channel receive,
//     each keeping an 8 KiB scratch buffer alive from its stack; 3 blocked
//     on a mutex that is never unlocked, 2 in a select that never fires,
//     2 locked to their OS thread, 2 blocked under 300 recursive frames,
//     1 sleeping;
//   - a sync.Pool holding 8 chunks of 64 KiB;
//   - 10 *Resource with finalizers held by the global `resources`, and 5
//     unreachable pairs of *Resource in a cycle with a finalizer on one of
//     them (never collected);
//   - a 16-byte substring kept in the global `configName` pinning a 256 KiB
//     string.
//
// Modes: -mode=evidence (default) writes the evidence and exits;
// -mode=sigquit plants the same problems, waits -hold, writes -ready and
// sleeps until killed (the generator sends SIGQUIT); -mode=panic logs a few
// lines and panics in a goroutine.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"reflect"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"time"
	"unsafe"

	"heapscope/samples/internal/evidence"
)

const (
	nPinned      = 40
	pinnedSize   = 1 << 20
	keptOffset   = 4096
	keptLen      = 16
	nRing        = 1000
	sessionBuf   = 1024
	nRegistry    = 5000
	nBigs        = 100
	nLeaky       = 50
	scratchSize  = 8192
	nMutexWait   = 3
	nSelectWait  = 2
	nLocked      = 2
	nDeep        = 2
	deepDepth    = 300
	crashDepth   = 150
	nSleepers    = 1
	nPool        = 8
	poolChunk    = 64 << 10
	nResources   = 10
	nCycles      = 5
	bigString    = 256 << 10
	nameOffset   = 1000
	nameLen      = 16
	churnChunk   = 32 << 10
	churnEarlyMB = 160
	churnLateMB  = 240
)

// Session is one element of the ring.
type Session struct {
	next *Session
	id   int
	buf  []byte
}

// Entry is a value of the registry map.
type Entry struct {
	id   int
	data [56]byte
}

// Big is larger than 512 bytes and has pointers: since Go 1.22 such objects
// carry an 8-byte type header in front of the value.
type Big struct {
	next *Big
	pad  [600]byte
	p    *int
}

// Resource has a finalizer.
type Resource struct {
	id      int
	peer    *Resource
	payload [120]byte
}

// Chunk is what the pool holds.
type Chunk struct {
	data []byte
}

// The globals that keep the planted data alive.
var (
	pinned     [][]byte
	ring       *Session
	registry   map[int]*Entry
	bigs       []*Big
	bigInts    []int
	resources  []*Resource
	configName string

	leakCh    = make(chan int) // nobody ever sends
	stuckMu   sync.Mutex       // locked by main, never unlocked
	selA      = make(chan int)
	selB      = make(chan int)
	lockedCh  = make(chan int)
	deepCh    = make(chan int)
	chunkPool = sync.Pool{New: func() interface{} { return &Chunk{data: make([]byte, poolChunk)} }}

	sink []byte // defeats escape analysis in churn
)

func addr(p unsafe.Pointer) string { return evidence.Hex(uintptr(p)) }

// readRecord reads a 1 MiB record and returns its 16-byte key: a subslice
// that keeps the whole buffer alive.
//
//go:noinline
func readRecord(i int) []byte {
	buf := make([]byte, pinnedSize)
	copy(buf[keptOffset:], fmt.Sprintf("record-%04d....", i))
	return buf[keptOffset : keptOffset+keptLen : keptOffset+keptLen]
}

//go:noinline
func newSession(id int) *Session {
	return &Session{id: id, buf: make([]byte, sessionBuf)}
}

//go:noinline
func makeRing(n int) *Session {
	head := newSession(0)
	prev := head
	for i := 1; i < n; i++ {
		s := newSession(i)
		prev.next = s
		prev = s
	}
	prev.next = head
	return head
}

//go:noinline
func fillRegistry(n int) map[int]*Entry {
	m := make(map[int]*Entry, n)
	for i := 0; i < n; i++ {
		e := new(Entry)
		e.id = i
		m[i] = e
	}
	return m
}

//go:noinline
func makeBigs(n int) []*Big {
	bigInts = make([]int, n)
	out := make([]*Big, 0, n)
	var prev *Big
	for i := 0; i < n; i++ {
		bigInts[i] = i
		b := &Big{next: prev, p: &bigInts[i]}
		b.pad[0] = byte(i)
		out = append(out, b)
		prev = b
	}
	return out
}

//go:noinline
func newScratch() []byte { return make([]byte, scratchSize) }

// leakyWorker waits for work that never comes; its scratch buffer stays alive
// through its stack frame.
//
//go:noinline
func leakyWorker(id int, ch chan int, scratch []byte) {
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("role", "leaky-worker")))
	for v := range ch {
		scratch[v%len(scratch)] = byte(id)
	}
	runtime.KeepAlive(scratch)
}

//go:noinline
func startLeakyWorkers(n int) []string {
	var addrs []string
	for i := 0; i < n; i++ {
		s := newScratch()
		addrs = append(addrs, addr(unsafe.Pointer(&s[0])))
		go leakyWorker(i, leakCh, s)
	}
	return addrs
}

//go:noinline
func mutexWaiter() {
	stuckMu.Lock()
	stuckMu.Unlock()
}

//go:noinline
func selectWaiter() {
	select {
	case <-selA:
	case <-selB:
	}
}

//go:noinline
func lockedWorker() {
	runtime.LockOSThread()
	<-lockedCh
	runtime.UnlockOSThread()
}

//go:noinline
func deepRecurse(n int) int {
	if n == 0 {
		return <-deepCh
	}
	return deepRecurse(n-1) + 1
}

//go:noinline
func sleeper() { time.Sleep(24 * time.Hour) }

func startBlockedGoroutines() {
	stuckMu.Lock()
	for i := 0; i < nMutexWait; i++ {
		go mutexWaiter()
	}
	for i := 0; i < nSelectWait; i++ {
		go selectWaiter()
	}
	for i := 0; i < nLocked; i++ {
		go lockedWorker()
	}
	for i := 0; i < nDeep; i++ {
		go deepRecurse(deepDepth)
	}
	for i := 0; i < nSleepers; i++ {
		go sleeper()
	}
}

//go:noinline
func fillPool(n int) []string {
	var addrs []string
	chunks := make([]*Chunk, n)
	for i := range chunks {
		chunks[i] = chunkPool.Get().(*Chunk)
		addrs = append(addrs, addr(unsafe.Pointer(&chunks[i].data[0])))
	}
	for _, c := range chunks {
		chunkPool.Put(c)
	}
	return addrs
}

func finalizeResource(r *Resource) { log.Printf("finalized resource %d", r.id) }

//go:noinline
func newResource(id int) *Resource {
	r := &Resource{id: id}
	runtime.SetFinalizer(r, finalizeResource)
	return r
}

// makeFinalizerCycles makes n unreachable pairs a<->b with a finalizer on a:
// the finalizer keeps b reachable, b keeps a, so neither is ever freed.
//
//go:noinline
func makeFinalizerCycles(n int) []string {
	var addrs []string
	for i := 0; i < n; i++ {
		a := newResource(1000 + i)
		b := &Resource{id: 2000 + i, peer: a}
		a.peer = b
		addrs = append(addrs, addr(unsafe.Pointer(a)))
	}
	return addrs
}

// loadConfigName builds a 256 KiB string and keeps 16 bytes of it.
//
//go:noinline
func loadConfigName() (string, uintptr) {
	var sb strings.Builder
	sb.Grow(bigString)
	line := fmt.Sprintf("%-63s\n", "config-line") // 64 bytes: the builder fills its buffer exactly
	for sb.Len() < bigString {
		sb.WriteString(line)
	}
	big := sb.String()
	data := (*reflect.StringHeader)(unsafe.Pointer(&big)).Data
	return big[nameOffset : nameOffset+nameLen], data
}

// churn allocates mb MiB of garbage in 32 KiB chunks, logging and taking a
// MemStats snapshot every snapEvery MiB (0: never).
//
//go:noinline
func churn(c *evidence.Case, phase string, mb, snapEvery int) {
	n := mb << 20 / churnChunk
	per := (1 << 20) / churnChunk
	for i := 1; i <= n; i++ {
		sink = make([]byte, churnChunk)
		sink[0] = byte(i)
		if i%(32*per) == 0 {
			log.Printf("%s: allocated %d MiB of garbage", phase, i/per)
		}
		if snapEvery > 0 && i%(snapEvery*per) == 0 {
			c.Snapshot()
		}
	}
	sink = nil
}

//go:noinline
func burnCPU(d time.Duration) uint64 {
	var x uint64 = 88172645463325252
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		for i := 0; i < 100000; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
		}
	}
	return x
}

var sharedMu sync.Mutex

//go:noinline
func contendMutex(workers, iters int) {
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				sharedMu.Lock()
				time.Sleep(100 * time.Microsecond)
				sharedMu.Unlock()
			}
		}()
	}
	wg.Wait()
}

//go:noinline
func slowConsumer(ch chan int, done chan struct{}) {
	for range ch {
	}
	close(done)
}

//go:noinline
func blockOnChannel(n int) {
	ch := make(chan int)
	done := make(chan struct{})
	go slowConsumer(ch, done)
	for i := 0; i < n; i++ {
		time.Sleep(200 * time.Microsecond)
		ch <- i
	}
	close(ch)
	<-done
}

// planted functions whose goroutines must be parked before we dump.
var plantedFuncs = []string{"main.leakyWorker(", "main.mutexWaiter(", "main.selectWaiter(", "main.lockedWorker(", "main.deepRecurse(", "main.sleeper("}

// waitParked polls the goroutine dump until no planted goroutine is runnable.
func waitParked() {
	for try := 0; try < 200; try++ {
		settled := true
		for _, g := range strings.Split(evidence.GoroutineText(), "\n\n") {
			if strings.Contains(g, "[runnable") || strings.Contains(g, "[running") {
				for _, f := range plantedFuncs {
					if strings.Contains(g, f) {
						settled = false
					}
				}
			}
		}
		if settled {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	log.Fatalf("planted goroutines did not park")
}

type sitefacts struct {
	Count      int      `json:"count"`
	Type       string   `json:"type,omitempty"`
	Size       uintptr  `json:"size"`       // unsafe.Sizeof / make length: bytes asked for
	AllocSize  uintptr  `json:"alloc_size"` // Go size class it lands in (object size in the heap)
	Site       string   `json:"site"`       // function that allocates it
	Global     string   `json:"global,omitempty"`
	TotalBytes uintptr  `json:"total_bytes"` // count * alloc_size
	FirstAddr  string   `json:"first_addr,omitempty"`
	Addrs      []string `json:"addrs,omitempty"`
	Notes      string   `json:"notes,omitempty"`
}

type goroutineFacts struct {
	Function  string `json:"function"`
	Count     int    `json:"count"`
	State     string `json:"state"` // Go 1.23 wait reason
	State119  string `json:"state_go1_19"`
	CreatedBy string `json:"created_by"`
	Locked    bool   `json:"locked_to_thread,omitempty"`
	Depth     int    `json:"recursion_depth,omitempty"`
	Labels    string `json:"labels,omitempty"`
	Retains   string `json:"retains,omitempty"`
}

type facts struct {
	Program        string                        `json:"program"`
	Mode           string                        `json:"mode"`
	GoVersion      string                        `json:"go_version"`
	GOOS           string                        `json:"goos"`
	GOARCH         string                        `json:"goarch"`
	PtrSize        uintptr                       `json:"ptr_size"`
	NumCPU         int                           `json:"ncpu"`
	GOMAXPROCS     int                           `json:"gomaxprocs"`
	MemProfileRate int                           `json:"memprofilerate"`
	MallocHeader   bool                          `json:"malloc_header"` // Go >= 1.22: objects > 512 B with pointers have an 8-byte header
	Pid            int                           `json:"pid"`
	GODEBUG        string                        `json:"godebug"`
	Globals        map[string]string             `json:"globals"`     // "main.name" -> address of the variable
	GlobalVars     map[string]evidence.GlobalVar `json:"global_vars"` // "main.name" -> address, size, type
	Types          []evidence.TypeFact           `json:"types"`       // planted objects: address, Go type, holding global

	Pinned         sitefacts `json:"pinned_buffers"`
	PinnedKept     string    `json:"pinned_first_kept_addr"`
	PinnedWasted   int       `json:"pinned_wasted_bytes"`
	Ring           sitefacts `json:"ring_sessions"`
	RingBufs       sitefacts `json:"ring_buffers"`
	RingHead       string    `json:"ring_head_addr"`
	RingElemIndex  int       `json:"ring_element_index"`
	RingElem       string    `json:"ring_element_addr"`
	RingRetained   uintptr   `json:"ring_retained_bytes"`
	Registry       sitefacts `json:"registry_entries"`
	RegistryMap    string    `json:"registry_map_addr"` // the *hmap the global points to
	RegistryEntry0 string    `json:"registry_entry0_addr"`
	Bigs           sitefacts `json:"bigs"`
	BigInts        string    `json:"big_ints_addr"` // the []int every Big.p points into
	Scratch        sitefacts `json:"leaky_worker_scratch"`
	Pool           sitefacts `json:"pool_chunks"`
	Resources      sitefacts `json:"finalized_resources"`
	Cycles         sitefacts `json:"finalizer_cycles"`
	Finalizers     int       `json:"finalizers_registered"`
	FinalizerFunc  string    `json:"finalizer_function"`
	BigString      sitefacts `json:"pinned_string"`
	ConfigName     string    `json:"config_name_addr"`

	Goroutines      []goroutineFacts `json:"goroutines"`
	GoroutinesTotal int              `json:"goroutines_total"` // runtime.NumGoroutine() at dump time (main included)

	CPUFunction   string            `json:"cpu_profile_function"`
	MutexFunction string            `json:"mutex_profile_function"`
	BlockFunction string            `json:"block_profile_function"`
	ChurnFunction string            `json:"churn_function"`
	ChurnBytes    int               `json:"churn_bytes"`
	NumGC         uint32            `json:"num_gc"`        // GC cycles over the whole run: gctrace.log has this many "gc N @" lines
	NumForcedGC   uint32            `json:"num_forced_gc"` // of which forced (runtime.GC / debug.FreeOSMemory): "(forced)"
	Snapshots     int               `json:"memstats_snapshots"`
	ProcNote      string            `json:"cgroup"`
	Evidence      []string          `json:"evidence"`
	PanicLog      map[string]string `json:"panic_log"`
	SigquitLog    map[string]string `json:"sigquit_log"`
}

// plant makes every planted problem and fills the heap-related facts.
func plant(c *evidence.Case, f *facts) {
	log.Printf("planting %d pinned buffers", nPinned)
	pinned = make([][]byte, 0, nPinned)
	var pinnedAddrs []string
	for i := 0; i < nPinned; i++ {
		k := readRecord(i)
		pinned = append(pinned, k)
		pinnedAddrs = append(pinnedAddrs, addr(unsafe.Pointer(uintptr(unsafe.Pointer(&k[0]))-keptOffset)))
	}
	f.Pinned = sitefacts{Count: nPinned, Type: "[]byte", Size: pinnedSize, AllocSize: pinnedSize, Site: "main.readRecord",
		Global: "main.pinned", TotalBytes: nPinned * pinnedSize, FirstAddr: pinnedAddrs[0], Addrs: pinnedAddrs,
		Notes: fmt.Sprintf("each buffer is referenced only by a %d-byte subslice at offset %d kept in main.pinned", keptLen, keptOffset)}
	f.PinnedKept = addr(unsafe.Pointer(&pinned[0][0]))
	full := unsafe.Slice((*byte)(unsafe.Pointer(uintptr(unsafe.Pointer(&pinned[0][0]))-keptOffset)), pinnedSize)
	f.Types = append(f.Types, evidence.Backing(full, "main.pinned", fmt.Sprintf("[0] (a %d-byte subslice at offset %d)", keptLen, keptOffset)))
	f.PinnedWasted = nPinned * (pinnedSize - keptLen)
	c.Snapshot()

	log.Printf("planting a ring of %d sessions", nRing)
	ring = makeRing(nRing)
	f.RingHead = addr(unsafe.Pointer(ring))
	f.RingElemIndex = 500
	s := ring
	for i := 0; i < f.RingElemIndex; i++ {
		s = s.next
	}
	f.RingElem = addr(unsafe.Pointer(s))
	ssz := unsafe.Sizeof(Session{})
	f.Ring = sitefacts{Count: nRing, Type: "main.Session", Size: ssz, AllocSize: evidence.SizeClass(ssz), Site: "main.newSession",
		Global: "main.ring", TotalBytes: nRing * evidence.SizeClass(ssz), FirstAddr: f.RingHead,
		Notes: "circular singly linked list; only main.ring points into it, so the head dominates every element"}
	f.RingBufs = sitefacts{Count: nRing, Type: "[]byte", Size: sessionBuf, AllocSize: evidence.SizeClass(sessionBuf), Site: "main.newSession",
		Global: "main.ring", TotalBytes: nRing * evidence.SizeClass(sessionBuf), FirstAddr: addr(unsafe.Pointer(&ring.buf[0]))}
	f.RingRetained = f.Ring.TotalBytes + f.RingBufs.TotalBytes
	f.Types = append(f.Types, evidence.Object(ring, "main.ring", ""), evidence.Object(s, "main.ring", fmt.Sprintf(".next x%d", f.RingElemIndex)),
		evidence.Backing(ring.buf, "main.ring", ".buf"))
	c.Snapshot()

	log.Printf("planting a registry of %d entries", nRegistry)
	registry = fillRegistry(nRegistry)
	esz := unsafe.Sizeof(Entry{})
	f.Registry = sitefacts{Count: nRegistry, Type: "main.Entry", Size: esz, AllocSize: evidence.SizeClass(esz), Site: "main.fillRegistry",
		Global: "main.registry", TotalBytes: nRegistry * evidence.SizeClass(esz), FirstAddr: addr(unsafe.Pointer(registry[0])),
		Notes: "map[int]*Entry made with a size hint; the map's buckets are extra"}
	f.RegistryMap = evidence.Hex(*(*uintptr)(unsafe.Pointer(&registry)))
	f.RegistryEntry0 = f.Registry.FirstAddr
	f.Types = append(f.Types, evidence.MapHeader(registry, "main.registry"), evidence.Object(registry[0], "main.registry", "[0]"))
	c.Snapshot()

	log.Printf("planting %d big objects with pointers", nBigs)
	bigs = makeBigs(nBigs)
	bsz := unsafe.Sizeof(Big{})
	hdr := uintptr(0)
	if f.MallocHeader {
		hdr = 8
	}
	var bigAddrs []string
	for _, b := range bigs[:5] {
		bigAddrs = append(bigAddrs, addr(unsafe.Pointer(b)))
	}
	f.Bigs = sitefacts{Count: nBigs, Type: "main.Big", Size: bsz, AllocSize: evidence.SizeClass(bsz + hdr), Site: "main.makeBigs",
		Global: "main.bigs", TotalBytes: nBigs * evidence.SizeClass(bsz+hdr), FirstAddr: bigAddrs[0], Addrs: bigAddrs,
		Notes: "addrs are the Go pointers (the first five); with malloc_header the heap slot starts 8 bytes earlier; Big.next points to the previous Big, Big.p into big_ints_addr"}
	f.BigInts = addr(unsafe.Pointer(&bigInts[0]))
	f.Types = append(f.Types, evidence.Backing(bigs, "main.bigs", ""), evidence.Object(bigs[0], "main.bigs", "[0]"),
		evidence.Object(bigs[1], "main.bigs", "[1]"), evidence.Backing(bigInts, "main.bigInts", ""))
	c.Snapshot()

	log.Printf("planting %d finalized resources and %d finalizer cycles", nResources, nCycles)
	var resAddrs []string
	for i := 0; i < nResources; i++ {
		r := newResource(i)
		resources = append(resources, r)
		resAddrs = append(resAddrs, addr(unsafe.Pointer(r)))
	}
	rsz := unsafe.Sizeof(Resource{})
	f.Resources = sitefacts{Count: nResources, Type: "main.Resource", Size: rsz, AllocSize: evidence.SizeClass(rsz), Site: "main.newResource",
		Global: "main.resources", TotalBytes: nResources * evidence.SizeClass(rsz), FirstAddr: resAddrs[0], Addrs: resAddrs,
		Notes: "each has a finalizer (main.finalizeResource) and stays reachable from main.resources"}
	cyc := makeFinalizerCycles(nCycles)
	f.Cycles = sitefacts{Count: nCycles, Type: "main.Resource", Size: rsz, AllocSize: evidence.SizeClass(rsz), Site: "main.makeFinalizerCycles",
		TotalBytes: 2 * nCycles * evidence.SizeClass(rsz), FirstAddr: cyc[0], Addrs: cyc,
		Notes: "count pairs a<->b, unreachable from any global; the finalizer on a (allocated in main.newResource, addrs listed) keeps b and so a alive forever; b is allocated in main.makeFinalizerCycles"}
	f.Finalizers = nResources + nCycles
	f.Types = append(f.Types, evidence.Backing(resources, "main.resources", ""), evidence.Object(resources[0], "main.resources", "[0]"))
	f.FinalizerFunc = "main.finalizeResource"

	log.Printf("planting a pinned config name")
	name, data := loadConfigName()
	configName = name
	f.BigString = sitefacts{Count: 1, Type: "string", Size: bigString, AllocSize: bigString, Site: "main.loadConfigName",
		Global: "main.configName", TotalBytes: bigString, FirstAddr: evidence.Hex(data),
		Notes: fmt.Sprintf("main.configName is a %d-byte substring at offset %d", nameLen, nameOffset)}
	f.ConfigName = evidence.Hex((*reflect.StringHeader)(unsafe.Pointer(&configName)).Data)
	f.Types = append(f.Types, evidence.StringData(data, bigString, "main.configName", fmt.Sprintf("(a %d-byte substring at offset %d)", nameLen, nameOffset)))
	c.Snapshot()

	f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{
		"main.pinned":     &pinned,
		"main.ring":       &ring,
		"main.registry":   &registry,
		"main.bigs":       &bigs,
		"main.bigInts":    &bigInts,
		"main.resources":  &resources,
		"main.configName": &configName,
		"main.leakCh":     &leakCh,
		"main.stuckMu":    &stuckMu,
		"main.chunkPool":  &chunkPool,
	})
}

func plantGoroutines(f *facts) {
	log.Printf("starting %d workers", nLeaky)
	scratch := startLeakyWorkers(nLeaky)
	f.Scratch = sitefacts{Count: nLeaky, Type: "[]byte", Size: scratchSize, AllocSize: scratchSize, Site: "main.newScratch",
		TotalBytes: nLeaky * scratchSize, FirstAddr: scratch[0], Addrs: scratch,
		Notes: "each referenced only from the stack of one parked main.leakyWorker (its argument)"}
	startBlockedGoroutines()
	f.Goroutines = []goroutineFacts{
		{Function: "main.leakyWorker", Count: nLeaky, State: "chan receive", State119: "chan receive", CreatedBy: "main.startLeakyWorkers",
			Labels: "role=leaky-worker", Retains: "8 KiB scratch each (leaky_worker_scratch)"},
		{Function: "main.mutexWaiter", Count: nMutexWait, State: "sync.Mutex.Lock", State119: "semacquire", CreatedBy: "main.startBlockedGoroutines"},
		{Function: "main.selectWaiter", Count: nSelectWait, State: "select", State119: "select", CreatedBy: "main.startBlockedGoroutines"},
		{Function: "main.lockedWorker", Count: nLocked, State: "chan receive", State119: "chan receive", CreatedBy: "main.startBlockedGoroutines", Locked: true},
		{Function: "main.deepRecurse", Count: nDeep, State: "chan receive", State119: "chan receive", CreatedBy: "main.startBlockedGoroutines", Depth: deepDepth},
		{Function: "main.sleeper", Count: nSleepers, State: "sleep", State119: "sleep", CreatedBy: "main.startBlockedGoroutines"},
	}
}

var expectedGoroutines = 1 + nLeaky + nMutexWait + nSelectWait + nLocked + nDeep + nSleepers

func main() {
	out := flag.String("out", "out", "directory to write evidence into")
	mode := flag.String("mode", "evidence", "evidence, sigquit or panic")
	rate := flag.Int("memprofilerate", 0, "set runtime.MemProfileRate (0: keep Go's default)")
	hold := flag.Duration("hold", 65*time.Second, "sigquit mode: how long to wait before writing -ready")
	ready := flag.String("ready", "", "sigquit mode: file to create once ready for SIGQUIT")
	flag.Parse()
	if *rate > 0 {
		runtime.MemProfileRate = *rate
	}
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	switch *mode {
	case "panic":
		panicMode()
	case "sigquit":
		sigquitMode(*hold, *ready)
	case "evidence":
		evidenceMode(*out)
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
}

// parseRecord panics when the line has too few fields. (A user panic, not an
// index error: Go 1.19 hides the runtime.goPanicIndex frames and then does
// not print its "...additional frames elided..." marker.)
//
//go:noinline
func parseRecord(line string, field int) string {
	fields := strings.Split(line, ",")
	if field >= len(fields) {
		panic(fmt.Errorf("parseRecord: line %q has no field %d", line, field))
	}
	return fields[field]
}

// walkRecords recurses crashDepth times before parsing, so the panic
// traceback is long enough for Go to elide frames.
//
//go:noinline
func walkRecords(lines []string, depth int) int {
	if depth > 0 {
		return walkRecords(lines, depth-1) + 1
	}
	for i, l := range lines {
		log.Printf("worker: record %d: %s", i, parseRecord(l, 1+2*i))
	}
	return 0
}

//go:noinline
func crashWorker(lines []string) {
	walkRecords(lines, crashDepth)
}

func panicMode() {
	log.Printf("service starting, pid %d", os.Getpid())
	log.Printf("loaded 3 records")
	go crashWorker([]string{"a,b,c", "d,e,f", "g,h,i"})
	time.Sleep(10 * time.Second)
	log.Printf("not reached")
}

func sigquitMode(hold time.Duration, ready string) {
	var f facts
	f.MallocHeader = mallocHeader()
	c := evidence.New(os.TempDir()) // snapshots are discarded
	plant(c, &f)
	plantGoroutines(&f)
	waitParked()
	runtime.GC()
	log.Printf("holding for %v so waits show minutes", hold)
	time.Sleep(hold)
	runtime.KeepAlive(pinned)
	if ready != "" {
		if err := os.WriteFile(ready, []byte("ready\n"), 0o644); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("ready for SIGQUIT")
	for {
		time.Sleep(time.Hour)
	}
}

// funcName is the symbol name of fn (closure names differ between Go versions).
func funcName(fn interface{}) string {
	return runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
}

func mallocHeader() bool {
	var major, minor int
	fmt.Sscanf(runtime.Version(), "go%d.%d", &major, &minor)
	return major > 1 || minor >= 22
}

func evidenceMode(out string) {
	c := evidence.New(out)
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	f := facts{Program: "leaky", Mode: "evidence", GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		PtrSize: unsafe.Sizeof(uintptr(0)), NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		MemProfileRate: runtime.MemProfileRate, MallocHeader: mallocHeader(), Pid: os.Getpid(), GODEBUG: os.Getenv("GODEBUG")}
	log.Printf("leaky starting, pid %d, %s, MemProfileRate %d", f.Pid, f.GoVersion, f.MemProfileRate)
	c.Snapshot()

	churn(c, "warmup", churnEarlyMB, 16)
	runtime.GC()
	log.Printf("forced GC after warmup")

	plant(c, &f)
	plantGoroutines(&f)
	runtime.GC()
	log.Printf("forced GC after planting")

	log.Printf("contending on a mutex")
	contendMutex(4, 50)
	f.MutexFunction = "main.contendMutex.func1"
	log.Printf("blocking on a channel")
	blockOnChannel(100)
	f.BlockFunction = "main.slowConsumer"

	log.Printf("burning CPU")
	c.CPUProfile(func() { burnCPU(400 * time.Millisecond) })
	f.CPUFunction = "main.burnCPU"

	churn(c, "steady", churnLateMB, 60)
	debug.FreeOSMemory()
	log.Printf("freed OS memory")
	f.ChurnFunction = "main.churn"
	f.ChurnBytes = (churnEarlyMB + churnLateMB) << 20

	// The pool is filled last: sync.Pool moves its contents to the victim
	// cache at the next GC, where they stay until the GC after.
	pool := fillPool(nPool)
	f.Pool = sitefacts{Count: nPool, Type: "[]byte", Size: poolChunk, AllocSize: poolChunk, Site: funcName(chunkPool.New),
		Global: "main.chunkPool", TotalBytes: nPool * poolChunk, FirstAddr: pool[0], Addrs: pool,
		Notes: "the chunks' data arrays; after the final runtime.GC() they sit in the pool's victim cache; the *Chunk headers (24 B) are separate objects"}

	waitParked()
	runtime.GC()
	log.Printf("final forced GC; writing evidence")
	f.GoroutinesTotal = runtime.NumGoroutine()
	if f.GoroutinesTotal != expectedGoroutines {
		log.Printf("warning: %d goroutines, expected %d", f.GoroutinesTotal, expectedGoroutines)
	}
	c.Snapshot()
	c.HeapDump()
	c.Profiles()
	c.MemStats()
	f.ProcNote = c.Proc()
	f.Snapshots = c.Snapshots()
	c.Finish()

	debug.SetGCPercent(-1) // no GC cycle after this point: facts.num_gc is final
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f.NumGC, f.NumForcedGC = ms.NumGC, ms.NumForcedGC
	f.Evidence = append(c.Files(), "facts.json")
	f.PanicLog = map[string]string{
		"command":  "leaky -mode=panic (stderr, GOTRACEBACK unset)",
		"message":  `parseRecord: line "d,e,f" has no field 3`,
		"function": "main.parseRecord",
		"caller":   fmt.Sprintf("main.walkRecords (%d recursive frames), called by main.crashWorker", crashDepth+1),
		"elided_frames": "Go 1.23 prints the innermost and outermost frames around \"...N frames elided...\"; " +
			"Go 1.19 prints the innermost 99 frames, then \"created by\", with no marker (its marker needs 100 printed frames)",
		"created_by": "main.panicMode",
		"log_lines":  "3",
	}
	f.SigquitLog = map[string]string{
		"command":          "leaky -mode=sigquit -hold 65s, then kill -QUIT (stderr, GOTRACEBACK=all)",
		"user_goroutines":  fmt.Sprint(expectedGoroutines),
		"main_state":       "sleep",
		"wait_minutes":     "planted goroutines show \", 1 minutes\" in their header",
		"locked_to_thread": fmt.Sprint(nLocked),
		"elided_frames":    fmt.Sprintf("%d goroutines main.deepRecurse with %d recursive frames: Go 1.19 prints \"...additional frames elided...\", Go 1.23 \"...N frames elided...\"", nDeep, deepDepth+1),
		"system":           "SIGQUIT tracebacks are printed at crash level: runtime goroutines and frames, registers, and (Go 1.23) gp=/m= in each header",
		"notes":            "same planted goroutines as the evidence run (see goroutines)",
	}
	c.Facts(&f)
	log.Printf("done: %d GC cycles (%d forced)", f.NumGC, f.NumForcedGC)
	runtime.KeepAlive(pinned)
	runtime.KeepAlive(ring)
	runtime.KeepAlive(registry)
	runtime.KeepAlive(bigs)
	runtime.KeepAlive(resources)
	runtime.KeepAlive(configName)
}
