// Command healthy is the control for leaky: a normal workload with no
// planted leak. It writes the same kinds of evidence into one directory.
//
// What it does (counts are constants below and are copied into facts.json):
//   - reads 40 records of 1 MiB in main.readRecord and keeps a 16-byte COPY
//     of each key (no slice retention), in the global `keys`;
//   - fills a bounded cache (global `cache`, map[string]*Item) with 2000 items;
//   - runs a pool of 8 main.worker goroutines over 2000 jobs; all of them
//     finish before the evidence is written, so only main is left;
//   - churns garbage so GC runs often, contends on a mutex, blocks on a
//     channel and burns CPU, exactly as leaky does.
//
// Modes: -mode=evidence (default); -mode=sigquit does the same work, waits
// -hold, writes -ready and sleeps until killed.
package main

import (
	"flag"
	"fmt"
	"hash/crc32"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
	"unsafe"

	"heapscope/samples/internal/evidence"
)

const (
	nRecords     = 40
	recordSize   = 1 << 20
	keyOffset    = 4096
	keyLen       = 16
	nCache       = 2000
	nWorkers     = 8
	nJobs        = 2000
	churnChunk   = 32 << 10
	churnEarlyMB = 160
	churnLateMB  = 120
)

// Item is a cache value.
type Item struct {
	key   string
	value [200]byte
}

var (
	keys  [][]byte
	cache map[string]*Item
	sink  []byte
)

func addr(p unsafe.Pointer) string { return evidence.Hex(uintptr(p)) }

// readRecord reads a 1 MiB record and returns a copy of its 16-byte key; the
// buffer becomes garbage.
//
//go:noinline
func readRecord(i int) []byte {
	buf := make([]byte, recordSize)
	copy(buf[keyOffset:], fmt.Sprintf("record-%04d....", i))
	return append([]byte(nil), buf[keyOffset:keyOffset+keyLen]...)
}

//go:noinline
func fillCache(n int) map[string]*Item {
	m := make(map[string]*Item, n)
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("item-%05d", i)
		m[k] = &Item{key: k}
	}
	return m
}

type job struct {
	id   int
	data []byte
}

//go:noinline
func worker(jobs <-chan job, results chan<- uint32, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		results <- crc32.ChecksumIEEE(j.data)
	}
}

//go:noinline
func runWorkers(nw, nj int) uint32 {
	jobs := make(chan job)
	results := make(chan uint32, nj)
	var wg sync.WaitGroup
	for i := 0; i < nw; i++ {
		wg.Add(1)
		go worker(jobs, results, &wg)
	}
	for i := 0; i < nj; i++ {
		jobs <- job{id: i, data: make([]byte, 4096)}
	}
	close(jobs)
	wg.Wait()
	close(results)
	var sum uint32
	for r := range results {
		sum += r
	}
	return sum
}

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
	Pid            int                           `json:"pid"`
	GODEBUG        string                        `json:"godebug"`
	Globals        map[string]string             `json:"globals"`
	GlobalVars     map[string]evidence.GlobalVar `json:"global_vars"`
	Types          []evidence.TypeFact           `json:"types"`

	Records         int     `json:"records_read"`
	RecordSize      int     `json:"record_size"`
	RecordSite      string  `json:"record_site"`
	KeysKept        int     `json:"keys_kept"`
	KeyAllocSize    uintptr `json:"key_alloc_size"`
	FirstKey        string  `json:"first_key_addr"`
	CacheItems      int     `json:"cache_items"`
	ItemSize        uintptr `json:"item_size"`
	ItemAllocSize   uintptr `json:"item_alloc_size"`
	CacheSite       string  `json:"cache_site"`
	CacheMap        string  `json:"cache_map_addr"`
	Workers         int     `json:"workers_started"`
	WorkerFunction  string  `json:"worker_function"`
	Jobs            int     `json:"jobs_done"`
	GoroutinesTotal int     `json:"goroutines_total"`
	PinnedBuffers   int     `json:"pinned_buffers"`
	Finalizers      int     `json:"finalizers_registered"`

	CPUFunction   string            `json:"cpu_profile_function"`
	MutexFunction string            `json:"mutex_profile_function"`
	BlockFunction string            `json:"block_profile_function"`
	ChurnFunction string            `json:"churn_function"`
	ChurnBytes    int               `json:"churn_bytes"`
	NumGC         uint32            `json:"num_gc"`
	NumForcedGC   uint32            `json:"num_forced_gc"`
	Snapshots     int               `json:"memstats_snapshots"`
	ProcNote      string            `json:"cgroup"`
	Evidence      []string          `json:"evidence"`
	SigquitLog    map[string]string `json:"sigquit_log"`
}

// work is the whole workload; it leaves only main running.
func work(c *evidence.Case, f *facts) {
	churn(c, "warmup", churnEarlyMB, 16)
	runtime.GC()
	log.Printf("forced GC after warmup")

	log.Printf("reading %d records", nRecords)
	keys = make([][]byte, 0, nRecords)
	for i := 0; i < nRecords; i++ {
		keys = append(keys, readRecord(i))
	}
	c.Snapshot()
	log.Printf("filling a cache of %d items", nCache)
	cache = fillCache(nCache)
	c.Snapshot()
	log.Printf("running %d workers over %d jobs", nWorkers, nJobs)
	sum := runWorkers(nWorkers, nJobs)
	log.Printf("checksum %08x", sum)
	c.Snapshot()
	runtime.GC()
	log.Printf("forced GC after loading")

	log.Printf("contending on a mutex")
	contendMutex(4, 50)
	log.Printf("blocking on a channel")
	blockOnChannel(100)
	log.Printf("burning CPU")
	if c.Dir != "" {
		c.CPUProfile(func() { burnCPU(400 * time.Millisecond) })
	}
	churn(c, "steady", churnLateMB, 30)
	debug.FreeOSMemory()
	log.Printf("freed OS memory")

	f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.keys": &keys, "main.cache": &cache})
	f.Types = []evidence.TypeFact{evidence.Backing(keys, "main.keys", ""), evidence.Backing(keys[0], "main.keys", "[0]"),
		evidence.MapHeader(cache, "main.cache"), evidence.Object(cache["item-00000"], "main.cache", `["item-00000"]`)}
	f.Records, f.RecordSize, f.RecordSite = nRecords, recordSize, "main.readRecord"
	f.KeysKept, f.KeyAllocSize, f.FirstKey = nRecords, evidence.SizeClass(keyLen), addr(unsafe.Pointer(&keys[0][0]))
	f.CacheItems, f.ItemSize, f.ItemAllocSize = nCache, unsafe.Sizeof(Item{}), evidence.SizeClass(unsafe.Sizeof(Item{}))
	f.CacheSite, f.CacheMap = "main.fillCache", evidence.Hex(*(*uintptr)(unsafe.Pointer(&cache)))
	f.Workers, f.WorkerFunction, f.Jobs = nWorkers, "main.worker", nJobs
	f.CPUFunction, f.MutexFunction, f.BlockFunction = "main.burnCPU", "main.contendMutex.func1", "main.slowConsumer"
	f.ChurnFunction, f.ChurnBytes = "main.churn", (churnEarlyMB+churnLateMB)<<20
}

func main() {
	out := flag.String("out", "out", "directory to write evidence into")
	mode := flag.String("mode", "evidence", "evidence or sigquit")
	rate := flag.Int("memprofilerate", 0, "set runtime.MemProfileRate (0: keep Go's default)")
	hold := flag.Duration("hold", 65*time.Second, "sigquit mode: how long to wait before writing -ready")
	ready := flag.String("ready", "", "sigquit mode: file to create once ready for SIGQUIT")
	flag.Parse()
	if *rate > 0 {
		runtime.MemProfileRate = *rate
	}
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)
	f := facts{Program: "healthy", Mode: *mode, GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		PtrSize: unsafe.Sizeof(uintptr(0)), NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		MemProfileRate: runtime.MemProfileRate, Pid: os.Getpid(), GODEBUG: os.Getenv("GODEBUG")}
	log.Printf("healthy starting, pid %d, %s, MemProfileRate %d", f.Pid, f.GoVersion, f.MemProfileRate)

	switch *mode {
	case "sigquit":
		work(&evidence.Case{}, &f)
		log.Printf("holding for %v", *hold)
		time.Sleep(*hold)
		if *ready != "" {
			if err := os.WriteFile(*ready, []byte("ready\n"), 0o644); err != nil {
				log.Fatal(err)
			}
		}
		log.Printf("ready for SIGQUIT")
		for {
			time.Sleep(time.Hour)
		}
	case "evidence":
	default:
		log.Fatalf("unknown mode %q", *mode)
	}

	c := evidence.New(*out)
	c.Snapshot()
	work(c, &f)
	runtime.GC()
	log.Printf("final forced GC; writing evidence")
	f.GoroutinesTotal = runtime.NumGoroutine()
	if f.GoroutinesTotal != 1 {
		log.Printf("warning: %d goroutines, expected 1", f.GoroutinesTotal)
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
	f.SigquitLog = map[string]string{
		"command":         "healthy -mode=sigquit -hold 65s, then kill -QUIT (stderr, GOTRACEBACK=all)",
		"user_goroutines": "1",
		"main_state":      "sleep",
	}
	c.Facts(&f)
	log.Printf("done: %d GC cycles (%d forced)", f.NumGC, f.NumForcedGC)
	runtime.KeepAlive(keys)
	runtime.KeepAlive(cache)
}
