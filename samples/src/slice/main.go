// Command slice plants slice retention: small slices and substrings that
// keep large backing arrays alive, in three shapes, and writes the evidence
// and facts.json (see samples/README.md, "slice").
//
//   - 16 packet buffers of 1 MiB ([]byte), each kept only through a 64-byte
//     subslice at offset 512, in the global main.headers (main.readPacket);
//   - 8 documents of 512 KiB (string), each kept only through a 32-byte
//     substring at offset 100, in the global main.titles (main.loadDocument);
//   - a stack of *Job ([]*Job, cap 2048) pushed to 2000 and popped to 16 by
//     reslicing without clearing the slots: the 1984 Jobs past len stay alive
//     only through the backing array (main.stack; main.pushJobs/main.newJob).
package main

import (
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"heapscope/samples/internal/evidence"
)

const (
	nPackets   = 16
	packetSize = 1 << 20
	hdrOffset  = 512
	hdrLen     = 64
	nDocs      = 8
	docSize    = 512 << 10
	titleOff   = 100
	titleLen   = 32
	stackCap   = 2048
	nPushed    = 2000
	nKept      = 16
	payload    = 1024
)

// Job is what the stack holds.
type Job struct {
	id      int
	payload [payload]byte
}

var (
	headers [][]byte // 64-byte subslices of 1 MiB packets
	titles  []string // 32-byte substrings of 512 KiB documents
	stack   []*Job   // len 16, cap 2048: slots 16..1999 still point at Jobs
)

type facts struct {
	evidence.Common
	Packets      evidence.Site `json:"byte_slices"`
	PacketKept   int           `json:"byte_slices_kept_len"`
	PacketOff    int           `json:"byte_slices_kept_offset"`
	PacketWasted int           `json:"byte_slices_wasted_bytes"`
	Docs         evidence.Site `json:"strings"`
	DocKept      int           `json:"strings_kept_len"`
	DocOff       int           `json:"strings_kept_offset"`
	DocWasted    int           `json:"strings_wasted_bytes"`
	StackArray   evidence.Site `json:"stale_slots_array"`
	StaleJobs    evidence.Site `json:"stale_slots_objects"`
	StackLen     int           `json:"stale_slots_len"`
	StackCap     int           `json:"stale_slots_cap"`
	StalePushed  int           `json:"stale_slots_pushed"`
	StaleBytes   uintptr       `json:"stale_slots_wasted_bytes"`
}

// readPacket reads a 1 MiB packet and returns its 64-byte header: a
// subslice that keeps the whole packet alive.
//
//go:noinline
func readPacket(i int) []byte {
	buf := make([]byte, packetSize)
	copy(buf[hdrOffset:], fmt.Sprintf("packet-%04d", i))
	return buf[hdrOffset : hdrOffset+hdrLen]
}

// loadDocument builds a 512 KiB document and returns its 32-byte title, a
// substring sharing the document's bytes.
//
//go:noinline
func loadDocument(i int) (title string, data uintptr) {
	var sb strings.Builder
	sb.Grow(docSize)
	line := fmt.Sprintf("%-63s\n", fmt.Sprintf("document %d", i))
	for sb.Len() < docSize {
		sb.WriteString(line)
	}
	doc := sb.String()
	return doc[titleOff : titleOff+titleLen], (*reflect.StringHeader)(unsafe.Pointer(&doc)).Data
}

//go:noinline
func newJob(id int) *Job { return &Job{id: id} }

// pushJobs pushes n jobs then pops all but keep by reslicing, leaving the
// popped pointers in the backing array.
//
//go:noinline
func pushJobs(n, keep int) []*Job {
	s := make([]*Job, 0, stackCap)
	for i := 0; i < n; i++ {
		s = append(s, newJob(i))
	}
	for len(s) > keep {
		s = s[:len(s)-1] // the bug: s[len(s)-1] = nil is missing
	}
	return s
}

func addr(p unsafe.Pointer) string { return evidence.Hex(uintptr(p)) }

func main() {
	var f facts
	evidence.Run("slice", &f, evidence.Options{}, func(c *evidence.Case) {
		var pAddrs []string
		for i := 0; i < nPackets; i++ {
			h := readPacket(i)
			headers = append(headers, h)
			pAddrs = append(pAddrs, addr(unsafe.Pointer(uintptr(unsafe.Pointer(&h[0]))-hdrOffset)))
		}
		f.Packets = evidence.Site{Count: nPackets, Type: "[]byte", Size: packetSize, AllocSize: packetSize, Site: "main.readPacket",
			Global: "main.headers", TotalBytes: nPackets * packetSize, FirstAddr: pAddrs[0], Addrs: pAddrs,
			Notes: fmt.Sprintf("each 1 MiB packet is referenced only by a %d-byte subslice (cap %d) at offset %d kept in main.headers", hdrLen, packetSize-hdrOffset, hdrOffset)}
		f.PacketKept, f.PacketOff, f.PacketWasted = hdrLen, hdrOffset, nPackets*(packetSize-hdrLen)
		c.Snapshot()

		var dAddrs []string
		var doc0 uintptr
		for i := 0; i < nDocs; i++ {
			t, data := loadDocument(i)
			titles = append(titles, t)
			dAddrs = append(dAddrs, evidence.Hex(data))
			if i == 0 {
				doc0 = data
			}
		}
		f.Docs = evidence.Site{Count: nDocs, Type: "string", Size: docSize, AllocSize: docSize, Site: "main.loadDocument",
			Global: "main.titles", TotalBytes: nDocs * docSize, FirstAddr: dAddrs[0], Addrs: dAddrs,
			Notes: fmt.Sprintf("each 512 KiB string is referenced only by a %d-byte substring at offset %d kept in main.titles; the bytes are allocated by strings.(*Builder).grow called from main.loadDocument", titleLen, titleOff)}
		f.DocKept, f.DocOff, f.DocWasted = titleLen, titleOff, nDocs*(docSize-titleLen)
		c.Snapshot()

		stack = pushJobs(nPushed, nKept)
		full := stack[:nPushed]
		var jAddrs []string
		for _, j := range full[nKept : nKept+5] {
			jAddrs = append(jAddrs, addr(unsafe.Pointer(j)))
		}
		jsz := unsafe.Sizeof(Job{})
		arr, hdr := evidence.HeapSize(stackCap*8, true)
		f.StackArray = evidence.Site{Count: 1, Type: "[]*main.Job", Size: stackCap * 8, AllocSize: arr, Header: hdr,
			Site: "main.pushJobs", Global: "main.stack", TotalBytes: arr, FirstAddr: addr(unsafe.Pointer(&full[0])),
			Notes: fmt.Sprintf("len %d, cap %d; slots %d..%d still hold *Job", nKept, stackCap, nKept, nPushed-1)}
		f.StaleJobs = evidence.Site{Count: nPushed - nKept, Type: "main.Job", Size: jsz, AllocSize: evidence.SizeClass(jsz), Site: "main.newJob",
			Global: "main.stack", TotalBytes: (nPushed - nKept) * evidence.SizeClass(jsz), FirstAddr: jAddrs[0], Addrs: jAddrs,
			Notes: "reachable only through slots past len of main.stack's backing array; addrs: the first five stale ones (slots 16..20)"}
		f.StackLen, f.StackCap, f.StalePushed = len(stack), cap(stack), nPushed
		f.StaleBytes = f.StaleJobs.TotalBytes
		c.Snapshot()

		f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.headers": &headers, "main.titles": &titles, "main.stack": &stack})
		f.Types = []evidence.TypeFact{
			evidence.Backing(headers, "main.headers", ""),
			evidence.Backing(unsafe.Slice((*byte)(unsafe.Pointer(uintptr(unsafe.Pointer(&headers[0][0]))-hdrOffset)), packetSize), "main.headers", fmt.Sprintf("[0] (a %d-byte subslice at offset %d)", hdrLen, hdrOffset)),
			evidence.Backing(titles, "main.titles", ""),
			evidence.StringData(doc0, docSize, "main.titles", fmt.Sprintf("[0] (a %d-byte substring at offset %d)", titleLen, titleOff)),
			evidence.Backing(stack, "main.stack", ""),
			evidence.Object(stack[0], "main.stack", "[0]"),
			evidence.Object(full[nKept], "main.stack", fmt.Sprintf("[%d] (past len)", nKept)),
		}
	})
}
