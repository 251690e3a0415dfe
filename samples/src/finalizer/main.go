// Command finalizer plants objects with finalizers that Go never collects,
// and a finalizer queue that grows behind a blocked finalizer, and writes
// the evidence and facts.json (see samples/README.md, "finalizer"):
//
//   - 200 *Handle, each with a finalizer, pointing to a *Resource (8 KiB
//     buffer) that points back to it: unreachable, never freed
//     (main.openHandle). (A pointer from an object to itself is no cycle:
//     the collector ignores it, and such objects are finalized.)
//   - 100 unreachable pairs of *Conn a<->b with a finalizer on a (main.newConn,
//     paired in main.dialPair): the finalizer keeps b, b keeps a;
//   - one finalizer (main.blockForever) that never returns, so the 500 *Temp
//     made unreachable after it (finalizer main.closeTemp) stay queued.
package main

import (
	"log"
	"runtime"
	"time"
	"unsafe"

	"heapscope/samples/internal/evidence"
)

const (
	nHandles  = 200
	handleBuf = 8192
	nPairs    = 100
	connData  = 4000
	nQueued   = 500
)

// Handle reaches itself through its Resource: with a finalizer on the
// Handle, neither is ever collected.
type Handle struct {
	fd  int
	res *Resource
}

// Resource belongs to a Handle.
type Resource struct {
	owner *Handle
	buf   []byte
}

// Conn is half of a pair.
type Conn struct {
	peer    *Conn
	id      int
	payload [connData]byte
}

// Temp has a finalizer that never gets to run.
type Temp struct {
	id   int
	data [1000]byte
}

// Blocker's finalizer blocks the finalizer goroutine. (It has a pointer:
// objects without pointers under 16 bytes share tiny blocks, whose
// finalizers may never run.)
type Blocker struct {
	id   int
	next *Blocker
}

var (
	never   = make(chan int) // nobody sends
	started = make(chan struct{})
)

func closeHandle(h *Handle) { log.Printf("closed handle %d", h.fd) }
func closeConn(c *Conn)     { log.Printf("closed conn %d", c.id) }
func closeTemp(t *Temp)     { log.Printf("closed temp %d", t.id) }

// blockForever is a finalizer that waits for something that never comes:
// every finalizer queued after it waits too.
func blockForever(b *Blocker) {
	close(started)
	<-never
}

//go:noinline
func openHandle(fd int) *Handle {
	h := &Handle{fd: fd}
	h.res = &Resource{owner: h, buf: make([]byte, handleBuf)}
	runtime.SetFinalizer(h, closeHandle)
	return h
}

//go:noinline
func newConn(id int) *Conn {
	c := &Conn{id: id}
	runtime.SetFinalizer(c, closeConn)
	return c
}

//go:noinline
func dialPair(id int) *Conn {
	a := newConn(id)
	b := &Conn{id: -id, peer: a}
	a.peer = b
	return a
}

//go:noinline
func newTemp(id int) *Temp {
	t := &Temp{id: id}
	runtime.SetFinalizer(t, closeTemp)
	return t
}

//go:noinline
func blockFinalizers() {
	b := &Blocker{id: 1}
	runtime.SetFinalizer(b, blockForever)
}

type facts struct {
	evidence.Common
	Handles         evidence.Site `json:"handle_cycles"`
	HandleRes       evidence.Site `json:"handle_resources"`
	HandleBufs      evidence.Site `json:"handle_buffers"`
	Pairs           evidence.Site `json:"pair_cycles"`
	PairPeers       evidence.Site `json:"pair_peers"`
	CycleBytes      uintptr       `json:"cycle_bytes"` // everything the cycles keep alive
	Queued          evidence.Site `json:"queued_finalizers"`
	BlockingFunc    string        `json:"blocking_finalizer"`
	QueuedFunc      string        `json:"queued_finalizer_function"`
	FinalizersTotal int           `json:"finalizers_registered"`
}

func addr(p unsafe.Pointer) string { return evidence.Hex(uintptr(p)) }

func main() {
	var f facts
	evidence.Run("finalizer", &f, evidence.Options{}, func(c *evidence.Case) {
		var ha, ra, ba []string
		for i := 0; i < nHandles; i++ {
			h := openHandle(i)
			if i < 5 {
				ha, ra, ba = append(ha, addr(unsafe.Pointer(h))), append(ra, addr(unsafe.Pointer(h.res))), append(ba, addr(unsafe.Pointer(&h.res.buf[0])))
			}
		}
		hs := evidence.SizeClass(unsafe.Sizeof(Handle{}))
		f.Handles = evidence.Site{Count: nHandles, Type: "main.Handle", Size: unsafe.Sizeof(Handle{}), AllocSize: hs, Site: "main.openHandle",
			TotalBytes: nHandles * hs, FirstAddr: ha[0], Addrs: ha,
			Notes: "each has the finalizer main.closeHandle and reaches itself through .res.owner: unreachable from any root, never finalized; addrs: the first five"}
		rs := evidence.SizeClass(unsafe.Sizeof(Resource{}))
		f.HandleRes = evidence.Site{Count: nHandles, Type: "main.Resource", Size: unsafe.Sizeof(Resource{}), AllocSize: rs, Site: "main.openHandle",
			TotalBytes: nHandles * rs, FirstAddr: ra[0], Addrs: ra, Notes: "each Handle's .res; .owner points back to the Handle"}
		f.HandleBufs = evidence.Site{Count: nHandles, Type: "[]byte", Size: handleBuf, AllocSize: handleBuf, Site: "main.openHandle",
			TotalBytes: nHandles * handleBuf, FirstAddr: ba[0], Addrs: ba, Notes: "each Resource's .buf"}

		var pa, pb []string
		for i := 1; i <= nPairs; i++ {
			a := dialPair(i)
			if i <= 5 {
				pa, pb = append(pa, addr(unsafe.Pointer(a))), append(pb, addr(unsafe.Pointer(a.peer)))
			}
		}
		cs, hdr := evidence.HeapSize(unsafe.Sizeof(Conn{}), true)
		f.Pairs = evidence.Site{Count: nPairs, Type: "main.Conn", Size: unsafe.Sizeof(Conn{}), AllocSize: cs, Header: hdr, Site: "main.newConn",
			TotalBytes: nPairs * cs, FirstAddr: pa[0], Addrs: pa,
			Notes: "a of each pair: finalizer main.closeConn; a.peer = b, b.peer = a; made in main.dialPair; addrs: the first five"}
		f.PairPeers = evidence.Site{Count: nPairs, Type: "main.Conn", Size: unsafe.Sizeof(Conn{}), AllocSize: cs, Header: hdr, Site: "main.dialPair",
			TotalBytes: nPairs * cs, FirstAddr: pb[0], Addrs: pb, Notes: "b of each pair (no finalizer), kept alive through a's finalizer"}
		f.CycleBytes = f.Handles.TotalBytes + f.HandleRes.TotalBytes + f.HandleBufs.TotalBytes + f.Pairs.TotalBytes + f.PairPeers.TotalBytes
		c.Snapshot()

		// Block the finalizer goroutine, then queue finalizers behind it.
		blockFinalizers()
		runtime.GC()
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			log.Fatalf("the blocking finalizer did not start")
		}
		var qa []string
		for i := 0; i < nQueued; i++ {
			t := newTemp(i)
			if i < 5 {
				qa = append(qa, addr(unsafe.Pointer(t)))
			}
		}
		runtime.GC() // sweeping queues the 500 finalizers; none can run
		ts := evidence.SizeClass(unsafe.Sizeof(Temp{}))
		f.Queued = evidence.Site{Count: nQueued, Type: "main.Temp", Size: unsafe.Sizeof(Temp{}), AllocSize: ts, Site: "main.newTemp",
			TotalBytes: nQueued * ts, FirstAddr: qa[0], Addrs: qa,
			Notes: "unreachable, finalizer main.closeTemp queued behind main.blockForever, which never returns; addrs: the first five"}
		f.BlockingFunc, f.QueuedFunc = "main.blockForever", "main.closeTemp"
		f.FinalizersTotal = nHandles + nPairs + 1 + nQueued
		f.Goroutines = []evidence.GoroutineFact{{Function: "main.blockForever", Count: 1, State: "chan receive", State119: "chan receive",
			Site: "main.blockForever", Retains: "the finalizer goroutine: every queued finalizer waits for it"}}
		c.Snapshot()
		f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.never": &never, "main.started": &started})
	})
}
