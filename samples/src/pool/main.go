// Command pool plants three kinds of sync.Pool misuse and writes the
// evidence and facts.json (see samples/README.md, "pool"):
//
//   - oversized: main.renderReport grows pooled buffers to 4 MiB and puts
//     them back, so main.bufPool holds 4 buffers of 4 MiB;
//   - alias: main.encodeReply puts its 256 KiB buffer back into
//     main.replyPool but keeps a 1 KiB slice of it in main.lastReply;
//   - churn: main.handleRequest Gets from main.scratchPool 2000 times and
//     Puts back only every 20th, so the pool's New (64 KiB) runs on 95% of
//     Gets: the allocs profile shows it.
package main

import (
	"reflect"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"unsafe"

	"heapscope/samples/internal/evidence"
)

const (
	nBig       = 4
	bigSize    = 4 << 20
	smallSize  = 4 << 10
	replySize  = 256 << 10
	aliasLen   = 1024
	scratchLen = 64 << 10
	nGets      = 2000
	putEvery   = 20
)

// Buf is what bufPool holds.
type Buf struct {
	b []byte
}

var (
	bufPool     = sync.Pool{New: func() interface{} { return &Buf{b: make([]byte, 0, smallSize)} }}
	replyPool   = sync.Pool{New: func() interface{} { return make([]byte, replySize) }}
	scratchPool = sync.Pool{New: newScratch}
	lastReply   []byte // aliases a buffer that is back in replyPool
	news        int64
	held        []*Buf           // only while planting
	sessions    map[int]*Session // ordinary live data beside the pools
)

// Session is ordinary live data: the program is not only its pools.
type Session struct {
	id   int
	name string
}

func newScratch() interface{} {
	atomic.AddInt64(&news, 1)
	b := make([]byte, scratchLen)
	return &b
}

// renderReport grows a pooled buffer to size bytes and (wrongly) puts the
// grown buffer back.
//
//go:noinline
func renderReport(size int) *Buf {
	buf := bufPool.Get().(*Buf)
	if cap(buf.b) < size {
		buf.b = make([]byte, 0, size)
	}
	buf.b = buf.b[:size]
	buf.b[size-1] = 1
	return buf
}

// encodeReply fills a pooled buffer, keeps a slice of it and puts it back.
//
//go:noinline
func encodeReply() []byte {
	b := replyPool.Get().([]byte)
	copy(b, "reply")
	out := b[:aliasLen]
	replyPool.Put(b) //nolint:staticcheck // the bug: out still points into b
	return out
}

//go:noinline
func handleRequest(i int) {
	p := scratchPool.Get().(*[]byte)
	(*p)[i%scratchLen] = byte(i)
	if i%putEvery == 0 {
		scratchPool.Put(p)
	}
}

func funcName(fn interface{}) string {
	return runtime.FuncForPC(reflect.ValueOf(fn).Pointer()).Name()
}

type facts struct {
	evidence.Common
	Oversized     evidence.Site `json:"oversized_buffers"`
	OversizedHdr  evidence.Site `json:"oversized_buffer_headers"`
	NormalSize    int           `json:"normal_buffer_size"`
	Alias         evidence.Site `json:"aliased_buffer"`
	AliasGlobal   string        `json:"alias_global"`
	AliasAddr     string        `json:"alias_addr"`
	AliasLen      int           `json:"alias_len"`
	ChurnGets     int           `json:"churn_gets"`
	ChurnPuts     int           `json:"churn_puts"`
	ChurnNews     int64         `json:"churn_news"` // times scratchPool.New ran (counted by New itself)
	ChurnNewFunc  string        `json:"churn_new_function"`
	ChurnSite     string        `json:"churn_site"`
	ChurnBytes    int64         `json:"churn_alloc_bytes"` // churn_news * 64 KiB
	ChurnPool     string        `json:"churn_pool"`
	ChurnNewShare float64       `json:"churn_new_share"` // news / gets
}

func addr(p unsafe.Pointer) string { return evidence.Hex(uintptr(p)) }

func main() {
	var f facts
	evidence.Run("pool", &f, evidence.Options{}, func(c *evidence.Case) {
		sessions = make(map[int]*Session)
		for i := 0; i < 2000; i++ {
			sessions[i] = &Session{id: i, name: "session"}
		}
		// 3. New on most Gets.
		for i := 0; i < nGets; i++ {
			handleRequest(i)
		}
		f.ChurnGets, f.ChurnPuts, f.ChurnNews = nGets, nGets/putEvery, atomic.LoadInt64(&news)
		f.ChurnNewFunc, f.ChurnSite, f.ChurnPool = funcName(newScratch), "main.handleRequest", "main.scratchPool"
		f.ChurnBytes = f.ChurnNews * scratchLen
		f.ChurnNewShare = float64(f.ChurnNews) / nGets
		c.Snapshot()
		runtime.GC() // the churn's garbage is gone before the pools are filled
		// No GC until the final one: a cycle moves pool contents to the
		// victim cache and the next drops them.
		debug.SetGCPercent(-1)

		// 2. alias.
		lastReply = encodeReply()
		f.Alias = evidence.Site{Count: 1, Type: "[]byte", Size: replySize, AllocSize: replySize, Site: funcName(replyPool.New),
			Global: "main.replyPool", TotalBytes: replySize, FirstAddr: addr(unsafe.Pointer(&lastReply[0])),
			Notes: "put back into main.replyPool by main.encodeReply while main.lastReply still holds its first 1 KiB"}
		f.AliasGlobal, f.AliasAddr, f.AliasLen = "main.lastReply", f.Alias.FirstAddr, aliasLen

		// 1. oversized: take nBig buffers at once, grow them, put them back.
		held = nil
		var ba, ha []string
		for i := 0; i < nBig; i++ {
			b := renderReport(bigSize)
			held = append(held, b)
			ba, ha = append(ba, addr(unsafe.Pointer(&b.b[0]))), append(ha, addr(unsafe.Pointer(b)))
		}
		for _, b := range held {
			bufPool.Put(b)
		}
		held = nil
		f.Oversized = evidence.Site{Count: nBig, Type: "[]byte", Size: bigSize, AllocSize: bigSize, Site: "main.renderReport",
			Global: "main.bufPool", TotalBytes: nBig * bigSize, FirstAddr: ba[0], Addrs: ba,
			Notes: "4 MiB backing arrays of *Buf put back into main.bufPool (whose New makes 4 KiB buffers); after the final GC they sit in the pool's victim cache"}
		hs := evidence.SizeClass(unsafe.Sizeof(Buf{}))
		f.OversizedHdr = evidence.Site{Count: nBig, Type: "main.Buf", Size: unsafe.Sizeof(Buf{}), AllocSize: hs, Site: funcName(bufPool.New),
			Global: "main.bufPool", TotalBytes: nBig * hs, FirstAddr: ha[0], Addrs: ha, Notes: "the *Buf headers of oversized_buffers"}
		f.NormalSize = smallSize

		f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.bufPool": &bufPool, "main.replyPool": &replyPool,
			"main.scratchPool": &scratchPool, "main.lastReply": &lastReply, "main.sessions": &sessions})
		f.Types = []evidence.TypeFact{evidence.Backing(lastReply, "main.lastReply", "")}
		c.Snapshot()
	})
}
