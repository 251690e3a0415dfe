// Command control is the healthy control for the detectors: it does the
// legitimate things that look like problems, and writes the evidence and
// facts.json (see samples/README.md, "control"). No detector may report a
// warning on it.
//
//   - a 32 MiB memory ballast (main.ballast), allocated once, never touched;
//   - a bounded cache (main.cache, at most 5000 entries of 512 bytes; 20000
//     inserted, the oldest evicted);
//   - a correctly used sync.Pool of 4 KiB buffers (main.bufPool: Get, Reset,
//     Put; buffers that grew past 64 KiB are dropped, not put back);
//   - a pool of 64 worker goroutines (main.worker) that processed 20000 jobs
//     and now wait, idle for moments only, on the job channel;
//   - a big map (main.index, 100000 entries) filled at start that then stops
//     growing;
//   - a burst of 256 MiB of short-lived garbage (main.burst) before the end.
package main

import (
	"bytes"
	"fmt"
	"sync"
	"unsafe"

	"heapscope/samples/internal/evidence"
)

const (
	ballastSize = 32 << 20
	cacheCap    = 5000
	cacheInsert = 20000
	valueSize   = 512
	poolOps     = 5000
	poolBuf     = 4 << 10
	poolMax     = 64 << 10
	nWorkers    = 64
	nJobs       = 20000
	indexSize   = 100000
	burstMB     = 256
	burstChunk  = 16 << 10
)

// Entry is a cache value.
type Entry struct {
	key   string
	value [valueSize]byte
}

// Cache is a bounded FIFO cache.
type Cache struct {
	m     map[string]*Entry
	order []string
	next  int
}

func (c *Cache) put(k string) {
	if len(c.m) >= cacheCap {
		delete(c.m, c.order[c.next])
		c.order[c.next] = k
		c.next = (c.next + 1) % cacheCap
	} else {
		c.order = append(c.order, k)
	}
	c.m[k] = &Entry{key: k}
}

var (
	ballast []byte
	cache   *Cache
	bufPool = sync.Pool{New: func() interface{} { return bytes.NewBuffer(make([]byte, 0, poolBuf)) }}
	jobs    = make(chan int)
	index   map[int]int
	results [nWorkers]int
)

//go:noinline
func fillCache() {
	cache = &Cache{m: make(map[string]*Entry, cacheCap)}
	for i := 0; i < cacheInsert; i++ {
		cache.put(fmt.Sprintf("key-%06d", i))
	}
}

//go:noinline
func render(i int) int {
	b := bufPool.Get().(*bytes.Buffer)
	b.Reset()
	fmt.Fprintf(b, "request %d", i)
	n := b.Len()
	if b.Cap() <= poolMax {
		bufPool.Put(b)
	}
	return n
}

//go:noinline
func worker(id int, wg *sync.WaitGroup) {
	for j := range jobs {
		results[id] += render(j)
		wg.Done()
	}
}

//go:noinline
func startWorkers(n int, wg *sync.WaitGroup) {
	for i := 0; i < n; i++ {
		go worker(i, wg)
	}
}

//go:noinline
func buildIndex(n int) map[int]int {
	m := make(map[int]int)
	for i := 0; i < n; i++ {
		m[i] = i * 2
	}
	return m
}

//go:noinline
func allocBallast() []byte { return make([]byte, ballastSize) }

var burstSink []byte

//go:noinline
func burst(mb int) {
	for i := 0; i < mb<<20/burstChunk; i++ {
		burstSink = make([]byte, burstChunk)
	}
	burstSink = nil
}

type facts struct {
	evidence.Common
	Ballast      evidence.Site `json:"ballast"`
	CacheCap     int           `json:"cache_capacity"`
	CacheInsert  int           `json:"cache_inserted"`
	CacheEntries evidence.Site `json:"cache_entries"`
	PoolOps      int           `json:"pool_ops"`
	PoolBufSize  int           `json:"pool_buffer_size"`
	PoolMax      int           `json:"pool_max_put_size"`
	Workers      int           `json:"workers"`
	JobsDone     int           `json:"jobs_done"`
	IndexEntries int           `json:"index_entries"`
	IndexSite    string        `json:"index_site"`
	IndexGrowth  int           `json:"index_growth_after_fill"` // entries added after the first snapshot past filling: 0
	BurstBytes   int           `json:"burst_bytes"`
	BurstSite    string        `json:"burst_site"`
}

func main() {
	var f facts
	evidence.Run("control", &f, evidence.Options{}, func(c *evidence.Case) {
		ballast = allocBallast()
		f.Ballast = evidence.Site{Count: 1, Type: "[]byte", Size: ballastSize, AllocSize: ballastSize, Site: "main.allocBallast",
			Global: "main.ballast", TotalBytes: ballastSize, FirstAddr: evidence.Hex(uintptr(unsafe.Pointer(&ballast[0]))),
			Notes: "a GC ballast: allocated once, never written (its pages are never touched)"}
		index = buildIndex(indexSize)
		f.IndexEntries, f.IndexSite = len(index), "main.buildIndex"
		c.Snapshot()

		fillCache()
		var first *Entry
		for _, e := range cache.m {
			first = e
			break
		}
		es, hdr := evidence.HeapSize(unsafe.Sizeof(Entry{}), true)
		f.CacheCap, f.CacheInsert = cacheCap, cacheInsert
		f.CacheEntries = evidence.Site{Count: len(cache.m), Type: "main.Entry", Size: unsafe.Sizeof(Entry{}), AllocSize: es, Header: hdr,
			Site: "main.(*Cache).put", Global: "main.cache", TotalBytes: uintptr(len(cache.m)) * es,
			FirstAddr: evidence.Hex(uintptr(unsafe.Pointer(first))), Notes: "bounded: 20000 inserted, the oldest evicted at 5000"}
		c.Snapshot()

		var wg sync.WaitGroup
		startWorkers(nWorkers, &wg)
		wg.Add(nJobs)
		for j := 0; j < nJobs; j++ {
			jobs <- j
		}
		wg.Wait()
		for i := 0; i < poolOps; i++ {
			render(i)
		}
		f.PoolOps, f.PoolBufSize, f.PoolMax = poolOps+nJobs, poolBuf, poolMax
		f.Workers, f.JobsDone = nWorkers, nJobs
		c.Snapshot()

		before := len(index)
		for i := 0; i < 3; i++ {
			_ = index[i]
			c.Snapshot()
		}
		f.IndexGrowth = len(index) - before

		burst(burstMB)
		f.BurstBytes, f.BurstSite = burstMB<<20, "main.burst"
		c.Snapshot()

		f.Goroutines = []evidence.GoroutineFact{{Function: "main.worker", Count: nWorkers, State: "chan receive", State119: "chan receive",
			CreatedBy: "main.startWorkers", Site: "main.worker", Retains: "nothing: an idle worker pool, busy until moments before the dump"}}
		f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.ballast": &ballast, "main.cache": &cache,
			"main.bufPool": &bufPool, "main.jobs": &jobs, "main.index": &index})
		f.Types = []evidence.TypeFact{evidence.Backing(ballast, "main.ballast", ""), evidence.Object(cache, "main.cache", ""),
			evidence.MapHeader(cache.m, "main.cache"), evidence.MapHeader(index, "main.index")}
	})
}
