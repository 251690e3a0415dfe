// Command rssgap makes the process's resident memory far exceed what the Go
// heap explains: main.mapRegion maps 96 MiB of anonymous memory with
// syscall.Mmap (outside the Go heap, as a cgo library or an mmap'd file
// cache would) and touches every page. Writes the evidence, with
// /proc/self/smaps_rollup and status, and facts.json (see
// samples/README.md, "rssgap").
package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"heapscope/samples/internal/evidence"
)

const (
	mapSize = 96 << 20
	nItems  = 4000
	itemLen = 1024
)

var (
	region []byte   // the mmap'd memory: not Go heap
	items  [][]byte // a modest Go heap beside it
)

//go:noinline
func mapRegion(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		panic(err)
	}
	page := os.Getpagesize()
	for i := 0; i < n; i += page {
		b[i] = byte(i / page) // touch: make it resident
	}
	return b
}

// rssKB reads VmRSS from /proc/self/status.
func rssKB() int64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			n, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return n
		}
	}
	return -1
}

type facts struct {
	evidence.Common
	MmapBytes      int    `json:"mmap_bytes"` // non-Go memory mapped and touched
	MmapAddr       string `json:"mmap_addr"`
	MmapSite       string `json:"mmap_site"`
	PageSize       int    `json:"page_size"`
	RSSBeforeKB    int64  `json:"rss_before_kb"` // VmRSS before mapping
	RSSAfterKB     int64  `json:"rss_after_kb"`  // VmRSS after touching every page
	GoHeapItems    int    `json:"go_heap_items"`
	GoHeapItemSize int    `json:"go_heap_item_size"`
}

func main() {
	var f facts
	evidence.Run("rssgap", &f, evidence.Options{}, func(c *evidence.Case) {
		for i := 0; i < nItems; i++ {
			items = append(items, make([]byte, itemLen))
		}
		f.GoHeapItems, f.GoHeapItemSize = nItems, itemLen
		f.RSSBeforeKB = rssKB()
		region = mapRegion(mapSize)
		f.RSSAfterKB = rssKB()
		f.MmapBytes, f.MmapAddr, f.MmapSite = mapSize, evidence.Hex(uintptr(unsafe.Pointer(&region[0]))), "main.mapRegion"
		f.PageSize = os.Getpagesize()
		f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.region": &region, "main.items": &items})
		c.Snapshot()
	})
}
