module heapscope/bench/realheap

go 1.21
