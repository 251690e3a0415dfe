// Command retain plants dominant retainers in three shapes, each reachable
// only from one global, and writes the evidence and facts.json (see
// samples/README.md, "retain"):
//
//   - a ring of 2000 *RingNode, each owning a 2 KiB []byte (main.ring,
//     allocated in main.newRingNode);
//   - a singly linked list of 3000 *ListNode, each owning a 1 KiB []byte
//     (main.list, main.appendNode);
//   - a complete binary tree of 4095 *TreeNode (depth 12), each owning a
//     512-byte []byte (main.tree, main.newTreeNode).
package main

import (
	"unsafe"

	"heapscope/samples/internal/evidence"
)

const (
	nRing     = 2000
	ringBuf   = 2048
	nList     = 3000
	listBuf   = 1024
	treeDepth = 12 // 2^12-1 nodes
	treeBuf   = 512
)

// RingNode is an element of the ring.
type RingNode struct {
	next *RingNode
	id   int
	buf  []byte
}

// ListNode is an element of the list.
type ListNode struct {
	next  *ListNode
	key   int
	value []byte
}

// TreeNode is a node of the tree.
type TreeNode struct {
	left, right *TreeNode
	key         int
	data        []byte
}

var (
	ring *RingNode
	list *ListNode
	tree *TreeNode
)

//go:noinline
func newRingNode(id int) *RingNode { return &RingNode{id: id, buf: make([]byte, ringBuf)} }

//go:noinline
func makeRing(n int) *RingNode {
	head := newRingNode(0)
	prev := head
	for i := 1; i < n; i++ {
		prev.next = newRingNode(i)
		prev = prev.next
	}
	prev.next = head
	return head
}

//go:noinline
func appendNode(tail *ListNode, key int) *ListNode {
	n := &ListNode{key: key, value: make([]byte, listBuf)}
	if tail != nil {
		tail.next = n
	}
	return n
}

//go:noinline
func buildList(n int) *ListNode {
	head := appendNode(nil, 0)
	tail := head
	for i := 1; i < n; i++ {
		tail = appendNode(tail, i)
	}
	return head
}

//go:noinline
func newTreeNode(key int) *TreeNode { return &TreeNode{key: key, data: make([]byte, treeBuf)} }

//go:noinline
func buildTree(depth, key int) *TreeNode {
	if depth == 0 {
		return nil
	}
	t := newTreeNode(key)
	t.left = buildTree(depth-1, 2*key)
	t.right = buildTree(depth-1, 2*key+1)
	return t
}

// shape is one retainer: flattened into facts.json as <shape>_nodes,
// <shape>_buffers, <shape>_head_addr, <shape>_retained_bytes.
type shape struct {
	Nodes, Buffers evidence.Site
	HeadAddr       string
	RetainedBytes  uintptr // nodes + buffers: all the head/root dominates
}

type facts struct {
	evidence.Common
	RingNodes     evidence.Site `json:"ring_nodes"`
	RingBuffers   evidence.Site `json:"ring_buffers"`
	RingHead      string        `json:"ring_head_addr"`
	RingRetained  uintptr       `json:"ring_retained_bytes"`
	RingElemIndex int           `json:"ring_element_index"`
	RingElem      string        `json:"ring_element_addr"`
	ListNodes     evidence.Site `json:"list_nodes"`
	ListBuffers   evidence.Site `json:"list_buffers"`
	ListHead      string        `json:"list_head_addr"`
	ListRetained  uintptr       `json:"list_retained_bytes"`
	TreeNodes     evidence.Site `json:"tree_nodes"`
	TreeBuffers   evidence.Site `json:"tree_buffers"`
	TreeRoot      string        `json:"tree_root_addr"`
	TreeRetained  uintptr       `json:"tree_retained_bytes"`
	TreeDepth     int           `json:"tree_depth"`
	TotalRetained uintptr       `json:"total_retained_bytes"`
}

func addr(p unsafe.Pointer) string { return evidence.Hex(uintptr(p)) }

func mkShape(n int, nodeType string, nodeSize uintptr, bufSize uintptr, site, bufSite, global string, head unsafe.Pointer, nodeAddrs, bufAddrs []string, notes string) shape {
	ns := evidence.SizeClass(nodeSize)
	bs := evidence.SizeClass(bufSize)
	return shape{
		Nodes: evidence.Site{Count: n, Type: nodeType, Size: nodeSize, AllocSize: ns, Site: site, Global: global,
			TotalBytes: uintptr(n) * ns, FirstAddr: nodeAddrs[0], Addrs: nodeAddrs, Notes: notes},
		Buffers: evidence.Site{Count: n, Type: "[]byte", Size: bufSize, AllocSize: bs, Site: bufSite, Global: global,
			TotalBytes: uintptr(n) * bs, FirstAddr: bufAddrs[0], Addrs: bufAddrs},
		HeadAddr: addr(head), RetainedBytes: uintptr(n) * (ns + bs),
	}
}

func main() {
	var f facts
	evidence.Run("retain", &f, evidence.Options{}, func(c *evidence.Case) {
		ring = makeRing(nRing)
		var ra, rb []string
		r := ring
		for i := 0; i < 5; i++ {
			ra, rb = append(ra, addr(unsafe.Pointer(r))), append(rb, addr(unsafe.Pointer(&r.buf[0])))
			r = r.next
		}
		sh := mkShape(nRing, "main.RingNode", unsafe.Sizeof(RingNode{}), ringBuf, "main.newRingNode", "main.newRingNode",
			"main.ring", unsafe.Pointer(ring), ra, rb, "circular singly linked list; main.ring points at element 0 (the head); addrs: elements 0..4")
		f.RingNodes, f.RingBuffers, f.RingHead, f.RingRetained = sh.Nodes, sh.Buffers, sh.HeadAddr, sh.RetainedBytes
		f.RingElemIndex = nRing / 2
		r = ring
		for i := 0; i < f.RingElemIndex; i++ {
			r = r.next
		}
		f.RingElem = addr(unsafe.Pointer(r))
		c.Snapshot()

		list = buildList(nList)
		var la, lb []string
		l := list
		for i := 0; i < 5; i++ {
			la, lb = append(la, addr(unsafe.Pointer(l))), append(lb, addr(unsafe.Pointer(&l.value[0])))
			l = l.next
		}
		sh = mkShape(nList, "main.ListNode", unsafe.Sizeof(ListNode{}), listBuf, "main.appendNode", "main.appendNode",
			"main.list", unsafe.Pointer(list), la, lb, "singly linked list, nil-terminated, built by main.buildList; main.list is the head; addrs: nodes 0..4")
		f.ListNodes, f.ListBuffers, f.ListHead, f.ListRetained = sh.Nodes, sh.Buffers, sh.HeadAddr, sh.RetainedBytes
		c.Snapshot()

		tree = buildTree(treeDepth, 1)
		var ta, tb []string
		for _, t := range []*TreeNode{tree, tree.left, tree.right, tree.left.left, tree.right.right} {
			ta, tb = append(ta, addr(unsafe.Pointer(t))), append(tb, addr(unsafe.Pointer(&t.data[0])))
		}
		sh = mkShape(1<<treeDepth-1, "main.TreeNode", unsafe.Sizeof(TreeNode{}), treeBuf, "main.newTreeNode", "main.newTreeNode",
			"main.tree", unsafe.Pointer(tree), ta, tb, "complete binary tree built recursively by main.buildTree; addrs: root, left, right, left.left, right.right")
		f.TreeNodes, f.TreeBuffers, f.TreeRoot, f.TreeRetained = sh.Nodes, sh.Buffers, sh.HeadAddr, sh.RetainedBytes
		f.TreeDepth = treeDepth
		f.TotalRetained = f.RingRetained + f.ListRetained + f.TreeRetained
		c.Snapshot()

		f.Globals, f.GlobalVars = evidence.Globals(map[string]interface{}{"main.ring": &ring, "main.list": &list, "main.tree": &tree})
		f.Types = []evidence.TypeFact{
			evidence.Object(ring, "main.ring", ""), evidence.Object(ring.next, "main.ring", ".next"),
			evidence.Backing(ring.buf, "main.ring", ".buf"),
			evidence.Object(list, "main.list", ""), evidence.Object(list.next, "main.list", ".next"),
			evidence.Backing(list.value, "main.list", ".value"),
			evidence.Object(tree, "main.tree", ""), evidence.Object(tree.left, "main.tree", ".left"),
			evidence.Backing(tree.data, "main.tree", ".data"),
		}
	})
}
