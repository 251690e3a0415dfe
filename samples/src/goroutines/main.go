// Command goroutines plants a goroutine leak and writes the evidence and
// facts.json (see samples/README.md, "goroutines"):
//
//   - 300 goroutines main.handleStream, started by main.startStreams, each
//     parked on a receive from its own channel that nobody will ever send
//     on or close, each holding a 4 KiB buffer from its stack;
//   - 40 goroutines main.pollUpstream, started by main.startPollers, parked
//     in a select on two channels that never become ready.
//
// It holds them for -hold (65 s by default) before writing the evidence, so
// the goroutine dumps show `, 1 minutes` waits.
package main

import (
	"strings"
	"time"
	"unsafe"

	"heapscope/samples/internal/evidence"
)

const (
	nStreams  = 300
	streamBuf = 4096
	nPollers  = 40
)

var (
	upstreamA = make(chan int)
	upstreamB = make(chan int)
)

// handleStream waits for messages on its own channel, which nobody sends on.
//
//go:noinline
func handleStream(id int, in chan []byte, buf []byte) {
	for msg := range in {
		copy(buf, msg)
	}
	buf[0] = byte(id)
}

//go:noinline
func newStreamBuf() []byte { return make([]byte, streamBuf) }

//go:noinline
func startStreams(n int) []string {
	var addrs []string
	for i := 0; i < n; i++ {
		buf := newStreamBuf()
		addrs = append(addrs, evidence.Hex(uintptr(unsafe.Pointer(&buf[0]))))
		go handleStream(i, make(chan []byte), buf)
	}
	return addrs
}

//go:noinline
func pollUpstream() {
	select {
	case <-upstreamA:
	case <-upstreamB:
	}
}

//go:noinline
func startPollers(n int) {
	for i := 0; i < n; i++ {
		go pollUpstream()
	}
}

type facts struct {
	evidence.Common
	StreamBufs evidence.Site `json:"stream_buffers"`
	Leaked     int           `json:"leaked_goroutines"`
}

// waitParked polls until every planted goroutine is parked.
func waitParked() {
	for try := 0; try < 500; try++ {
		text := evidence.GoroutineText()
		if strings.Count(text, "main.handleStream(") >= nStreams && strings.Count(text, "main.pollUpstream(") >= nPollers &&
			!strings.Contains(text, "[runnable]") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func main() {
	var f facts
	evidence.Run("goroutines", &f, evidence.Options{Hold: 65 * time.Second}, func(c *evidence.Case) {
		addrs := startStreams(nStreams)
		startPollers(nPollers)
		waitParked()
		f.StreamBufs = evidence.Site{Count: nStreams, Type: "[]byte", Size: streamBuf, AllocSize: streamBuf, Site: "main.newStreamBuf",
			TotalBytes: nStreams * streamBuf, FirstAddr: addrs[0], Addrs: addrs,
			Notes: "each referenced only from the stack of one parked main.handleStream (its argument)"}
		f.Goroutines = []evidence.GoroutineFact{
			{Function: "main.handleStream", Count: nStreams, State: "chan receive", State119: "chan receive", CreatedBy: "main.startStreams",
				Site: "main.handleStream", Retains: "a 4 KiB buffer each (stream_buffers) and its channel"},
			{Function: "main.pollUpstream", Count: nPollers, State: "select", State119: "select", CreatedBy: "main.startPollers",
				Site: "main.pollUpstream"},
		}
		f.Leaked = nStreams + nPollers
		f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.upstreamA": &upstreamA, "main.upstreamB": &upstreamB})
		c.Snapshot()
	})
}
