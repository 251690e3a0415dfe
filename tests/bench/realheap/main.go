// realheap builds a heap shaped like a real Go service's and writes it with
// runtime/debug.WriteHeapDump: the benchmark input of tests/bench/realheap.sh.
//
// Unlike tests/bench/gendump.c, whose pointers are mostly local (a node
// points at its neighbour in the same span), this heap has far pointers as
// real programs do: records point at a random earlier record, every record is
// reachable from one global map, and objects of one record are spread over
// many spans (strings, byte slices, small maps and tree nodes land in
// different size classes).  Per record: the Record, its name string, a
// []byte payload, a map[string]int of a few tags (hmap + bucket), and a
// binary tree of 7 nodes built depth-first (children, parent and owner
// pointers).  With the default -records (700,000) that is about 8.4 M live
// objects and 19 M pointers that resolve, a ~700 MB dump.
//
//	go run . -records 700000 -out /tmp/real.dump
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"runtime/debug"
)

type Node struct {
	L, R *Node
	Up   *Node   // parent: back pointers, as doubly linked structures have
	Rec  *Record // the record that owns the tree
	V    int64
}

type Record struct {
	ID   int
	Name string
	Data []byte
	Tags map[string]int
	Prev *Record // a random earlier record: the far pointer
	Tree *Node
}

var index map[int]*Record

func tree(depth int, v int64, up *Node, rec *Record) *Node {
	if depth == 0 {
		return nil
	}
	n := &Node{V: v, Up: up, Rec: rec}
	n.L = tree(depth-1, 2*v, n, rec)
	n.R = tree(depth-1, 2*v+1, n, rec)
	return n
}

func main() {
	nRec := flag.Int("records", 700000, "records to build")
	out := flag.String("out", "real.dump", "heap dump to write")
	flag.Parse()
	rnd := rand.New(rand.NewSource(1))
	index = make(map[int]*Record, *nRec)
	recs := make([]*Record, 0, *nRec)
	tags := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	for i := 0; i < *nRec; i++ {
		r := &Record{ID: i, Name: fmt.Sprintf("record-%08d", i)}
		r.Data = make([]byte, 32+rnd.Intn(200))
		r.Tags = make(map[string]int, 3)
		for j := 0; j < 3; j++ {
			r.Tags[tags[rnd.Intn(len(tags))]] = j
		}
		if i > 0 {
			r.Prev = recs[rnd.Intn(i)]
		}
		r.Tree = tree(3, int64(i), nil, r)
		recs = append(recs, r)
		index[i] = r
	}
	recs = nil
	runtime.GC()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	debug.WriteHeapDump(f.Fd())
	f.Close()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("records %d, heap objects %d, heap alloc %d\n", len(index), ms.HeapObjects, ms.HeapAlloc)
}
