#include <sys/mman.h>
#include "heapscope/graph.h"
void hs_index_unmap_(void *p, size_t n) { munmap(p, n); }
