/*
 * The loader registry, in sniff priority order (ties go to the earlier one).
 * Binary formats with a magic come first; text formats that may appear
 * inside any log file come last.
 */
#include "heapscope/heapscope.h"

extern const hs_loader hs_loader_heapdump;
extern const hs_loader hs_loader_pprof;
extern const hs_loader hs_loader_heaptext;
extern const hs_loader hs_loader_memstats;
extern const hs_loader hs_loader_prom;
extern const hs_loader hs_loader_proc;
extern const hs_loader hs_loader_goroutines;
extern const hs_loader hs_loader_gctrace;
extern const hs_loader hs_loader_gobinary;

const hs_loader *const hs_loaders[] = {
    &hs_loader_heapdump,
    &hs_loader_pprof,
    &hs_loader_heaptext,
    &hs_loader_memstats,
    &hs_loader_prom,
    &hs_loader_proc,
    &hs_loader_goroutines,
    &hs_loader_gctrace,
    &hs_loader_gobinary,
    NULL,
};
