// Command allochot allocates from three sites, one of which dominates the
// allocation volume: main.encodeFrame allocates 384 MiB of short-lived
// 64 KiB frames, main.parseHeader 32 MiB of 1 KiB headers, main.logLine
// 16 MiB of 256-byte lines; all garbage. Run with -memprofilerate 65536
// (gen.sh does) so the allocs profile samples each site closely. Writes
// the evidence and facts.json (see samples/README.md, "allochot").
package main

import (
	"fmt"

	"heapscope/samples/internal/evidence"
)

type site struct {
	Function string `json:"function"`
	Objects  int    `json:"objects"` // allocations made (exact, counted by the program)
	Size     int    `json:"size"`    // bytes each (a size class: no rounding)
	Bytes    int    `json:"bytes"`   // objects * size
}

var (
	sink   []byte
	routes map[string]*Route // ordinary live data: the program is not only garbage
)

// Route is a little live data.
type Route struct {
	path  string
	hits  int
	owner string
}

//go:noinline
func encodeFrame() { sink = make([]byte, 64<<10) }

//go:noinline
func parseHeader() { sink = make([]byte, 1<<10) }

//go:noinline
func logLine() { sink = make([]byte, 256) }

type facts struct {
	evidence.Common
	Sites      []site  `json:"sites"`         // the three planted sites, largest first
	HotSite    string  `json:"hot_site"`      // the dominant one
	HotShare   float64 `json:"hot_share"`     // its bytes / the three sites' bytes
	PlantedSum int     `json:"planted_bytes"` // the three sites' bytes together
}

func main() {
	var f facts
	evidence.Run("allochot", &f, evidence.Options{}, func(c *evidence.Case) {
		plan := []struct {
			fn   func()
			name string
			n    int
			size int
		}{
			{encodeFrame, "main.encodeFrame", 384 << 20 / (64 << 10), 64 << 10},
			{parseHeader, "main.parseHeader", 32 << 20 / (1 << 10), 1 << 10},
			{logLine, "main.logLine", 16 << 20 / 256, 256},
		}
		routes = make(map[string]*Route)
		for i := 0; i < 2000; i++ {
			p := fmt.Sprintf("/api/v1/item/%d", i)
			routes[p] = &Route{path: p, owner: "team"}
		}
		// Interleaved, as a server would: one round does a share of each.
		for r := 0; r < 64; r++ {
			for _, p := range plan {
				for i := 0; i < p.n/64; i++ {
					p.fn()
				}
			}
			if r%8 == 7 {
				c.Snapshot()
			}
		}
		sink = nil
		for _, p := range plan {
			f.Sites = append(f.Sites, site{Function: p.name, Objects: p.n / 64 * 64, Size: p.size, Bytes: p.n / 64 * 64 * p.size})
			f.PlantedSum += p.n / 64 * 64 * p.size
		}
		f.HotSite = f.Sites[0].Function
		f.HotShare = float64(f.Sites[0].Bytes) / float64(f.PlantedSum)
		f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.sink": &sink, "main.routes": &routes})
	})
}
