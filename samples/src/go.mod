module heapscope/samples

go 1.19
