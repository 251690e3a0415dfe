/*
 * heapscope public C API: string pools, columnar tables, cases, inputs and
 * loaders.  A second front end (a server, a GUI) would need only this header
 * and graph.h/heap.h.
 *
 * Ownership in one sentence: a case owns everything that hangs off it
 * (tables, string pool, the input buffers tables point into, diagnostics);
 * freeing the case frees them all.
 */
#ifndef HEAPSCOPE_H
#define HEAPSCOPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#include "heapscope/ffi.h"

#ifndef HS_VERSION
#define HS_VERSION "0.1.0"
#endif

/* Status codes returned by every fallible function. */
enum {
  HS_OK = 0,
  HS_ERR = -1,        /* generic failure; the message is in the case or *pzErr */
  HS_ENOMEM = -2,
  HS_EFORMAT = -3,    /* input is not what the loader expected */
  HS_ETRUNC = -4,     /* input ended early; complete records were kept */
  HS_ELIMIT = -5      /* a safety limit (size, member count) was hit */
};

/* ------------------------------------------------------------------ */
/* String pool: interned, NUL-terminated strings addressed by u32 id.
** Id 0 is always the empty string.  Ids are stable; the bytes may move
** while the pool grows, so pointers are only stable once the case is
** sealed (after loading). */

hs_strpool *hs_strpool_new(void);
void hs_strpool_free(hs_strpool *);
uint32_t hs_str_intern(hs_strpool *, const char *z, size_t n); /* UINT32_MAX on OOM */
uint32_t hs_str_internz(hs_strpool *, const char *z);
const char *hs_str(const hs_strpool *, uint32_t id);            /* "" for a bad id */
size_t hs_str_len(const hs_strpool *, uint32_t id);
uint32_t hs_strpool_count(const hs_strpool *);

/* ------------------------------------------------------------------ */
/* Tables: named, columnar, typed.  Rows are appended during loading, then
** the table is sealed and never changes again (Lua sees the columns
** zero-copy, so moving them after sealing would be a use-after-free). */
/* hs_type (column types) and the HS_COL_* display hints are in ffi.h, so
** Lua reads them (ffi.C.HS_U64) instead of keeping copies. */

/* hs_column and hs_table are defined in ffi.h (Lua reads them zero-copy). */

struct hs_case;
hs_table *hs_table_new(struct hs_case *, const char *zName); /* owned by the case */
/* Add a column; returns its index or -1.  Only before the first row. */
int hs_table_col(hs_table *, const char *zName, hs_type, uint32_t flags);
int hs_table_colidx(const hs_table *, const char *zName);     /* -1 if absent */
int hs_table_reserve(hs_table *, uint64_t nRow);
/* Append one zeroed row; returns its index or UINT64_MAX on OOM. */
uint64_t hs_table_add_row(hs_table *);
void hs_table_set_u32(hs_table *, int iCol, uint64_t iRow, uint32_t v);
void hs_table_set_u64(hs_table *, int iCol, uint64_t iRow, uint64_t v);
void hs_table_set_i64(hs_table *, int iCol, uint64_t iRow, int64_t v);
void hs_table_set_f64(hs_table *, int iCol, uint64_t iRow, double v);
void hs_table_set_str(hs_table *, int iCol, uint64_t iRow, const char *z, size_t n);
void hs_table_set_strz(hs_table *, int iCol, uint64_t iRow, const char *z);
/* Readers, for C consumers (the report writers, tests). */
uint64_t hs_table_u64(const hs_table *, int iCol, uint64_t iRow); /* any integer column */
double hs_table_f64(const hs_table *, int iCol, uint64_t iRow);   /* any numeric column */
const char *hs_table_str(const hs_table *, int iCol, uint64_t iRow);
void hs_table_seal(hs_table *);

/* How a loader declares a table's columns: an array of these, in the order
** of an enum of the loader's, and one call to hs_table_open. */
typedef struct hs_colspec {
  const char *zName;
  hs_type type;
  uint32_t flags;     /* HS_COL_* display hints */
} hs_colspec;
#define HS_NCOL(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Open the case's table zName for appending: created with note zNote and
** the nCol columns a[] when new, reused when an earlier input of the case
** made it (evidence of one kind from one process goes to one table).
** Columns the table lacks are added while it has no rows.
** With aiCol, aiCol[i] receives the index of column a[i], or -1 when a table
** that already has rows lacks it (the setters ignore -1).  Without aiCol
** (NULL), column a[i] must be at index i, so the caller's enum indexes it.
** NULL when memory ran out, the case is sealed, or (without aiCol) an
** existing table's columns are not a[] in order. */
hs_table *hs_table_open(struct hs_case *, const char *zName, const char *zNote,
                        const hs_colspec *a, int nCol, int *aiCol);

/* ------------------------------------------------------------------ */
/* Diagnostics: every warning or error a user sees names the input and the
** place.  iLine > 0 means a line number, otherwise iOffset is a byte
** offset (UINT64_MAX when the place is the whole file). */
typedef enum hs_level { HS_INFO = 0, HS_WARNING = 1, HS_ERROR = 2 } hs_level;
typedef struct hs_diag {
  int level;          /* hs_level */
  char *zFile;        /* input display name ("dump.tar.gz:case1/heap.dump") */
  uint64_t iOffset;   /* byte offset, UINT64_MAX if none */
  uint64_t iLine;     /* 1-based line, 0 if the offset applies */
  char *zMsg;         /* what was expected and what to do */
} hs_diag;

/* ------------------------------------------------------------------ */
/* Inputs: a named byte buffer.  Plain files are mmapped; archive members and
** compressed files are decoded into memory.  The case keeps buffers alive
** for as long as it lives (heap object contents point into them). */
typedef struct hs_input {
  char *zName;        /* display name: path, or archive path + ":" + member */
  const uint8_t *p;   /* bytes */
  uint64_t n;         /* length */
  int bMapped;        /* 1: munmap(p, n); 0: free(p) */
  char *zKind;        /* evidence kind chosen by the sniffer, or NULL */
  uint64_t iMtime;    /* modification time of the file (index validity) */
  uint64_t iFileSize; /* on-disk size of the file (index validity) */
  char *zPath;        /* on-disk path of the file this came from */
  char *zError;       /* set when the input could not be read (p is NULL) */
  int bFound;         /* 1: found in a directory or archive walk, not named by the
                         user; unrecognised, it is skipped with a warning */
  char *zNote;        /* said about reading it (a stream cut short, a FIFO
                         skipped) before it is loaded, at level iNoteLevel */
  int iNoteLevel;     /* hs_level of zNote */
  int bSkip;          /* nothing to load (p is NULL): only zNote is shown */
  int iSeries;        /* a snapshot of a series (several heap dumps in one case):
                         0 not in one, 1 the latest (loaded), 2 an earlier one (its
                         loader lists it, Lua loads it when asked: case.heaps) */
  uint64_t iSeriesKey; /* the evidence's own order in its series (a dump's NumGC) */
  int bBorrowed;      /* p belongs to another case's input (a series member loaded
                         on its own); never freed here */
  uint64_t nDecoded;  /* bytes of p counted in hs_decoded_held (decoded by the
                         source layer); released when the input is freed */
  char *zCase;        /* which case it belongs to, as a path below the argument:
                         its directory, or its archive's top-level directory
                         ("" the argument itself); NULL: a file named alone */
  int bCaseLater;     /* more inputs of its case come after other cases' (an
                         archive whose directory's members are not contiguous):
                         hs_open keeps the case open */
  uint64_t iWalkPos;  /* bytes of its argument read when it was handed over
                         (of an archive file: the compressed bytes consumed) */
} hs_input;

/* Bytes of decoded inputs alive in this process: what the per-run budget
** (hs_limits.nMaxTotal) counts.  Maintained by the source layer and
** hs_input's free. */
extern uint64_t hs_decoded_held;

/* A heap dump's tables and graph; see heap.h. */
struct hs_heap;

typedef struct hs_case {
  char *zName;        /* case name: directory, archive or first file */
  hs_strpool *pStr;   /* one pool for every table of the case */
  int nTable, nTableCap;
  hs_table **apTable;
  int nInput, nInputCap;
  hs_input **apInput;
  /* Inputs of a kind that makes series (a loader with xSeriesKey: heap
  ** dumps) taken while the case was still being read, not loaded yet (they
  ** are in apInput too, which owns them): their order is known only once
  ** every input is in, so hs_case_load_held loads them then. */
  int nHeld, nHeldCap;
  hs_input **apHeld;
  int nDiag, nDiagCap;
  hs_diag *aDiag;
  int nError;         /* inputs that could not be loaded at all */
  uint64_t nMaxBytes; /* what a loader may decode itself (pprof's gunzip):
                         --max-bytes; 0 for the default */
  struct hs_heap *pHeap; /* NULL without a heap dump */
  void (*xHeapFree)(struct hs_heap *); /* set by whoever attached pHeap */
  uint32_t flags;     /* HS_CASE_* */
  /* While a loader runs (hs_case_load_input): the input and how many of its
  ** diagnostics that point at a place (line or offset) were recorded and
  ** dropped; past HS_MAX_PLACED_DIAG they are counted, not kept. */
  const char *zLoading;
  uint32_t nPlaced;
  uint64_t nDropped;
  /* Also while a loader runs: every kind hs_loaders[] holds, for its
  ** "tried: ..." messages (a loader does not read the registry that lists it). */
  const char *zKinds;
  /* The program's executable (core/binary/), NULL without one.  Set by its
  ** loader; hs_case_seal calls xBinaryName once, after every input loaded,
  ** to name the heap's objects and roots. */
  struct hs_binary *pBinary;
  void (*xBinaryFree)(struct hs_binary *);
  int (*xBinaryName)(struct hs_case *, struct hs_binary *);
} hs_case;

/* Diagnostics with a place (line or byte offset) kept per input; the rest
** are summarised in one warning.  Whole-file diagnostics are always kept. */
#define HS_MAX_PLACED_DIAG 20

enum { HS_CASE_NOCACHE = 1, HS_CASE_QUIET = 2,
       HS_CASE_DEFER = 4, /* hs_open groups inputs into cases but loads none:
                             hs_case_load_deferred does, where the case runs */
       HS_CASE_SKIPPED = 8, /* the inputs of a directory or archive that are not
                               evidence, beside its cases: not an error */
       HS_CASE_BATCH = 16 /* a case where nothing could be read is an error
                             (check), not only a warning (info, the REPL) */ };

hs_case *hs_case_new(const char *zName);
void hs_case_free(hs_case *);
hs_table *hs_case_table(const hs_case *, const char *zName);
/* Record a diagnostic; printf-style message. */
void hs_case_diag(hs_case *, hs_level, const char *zFile, uint64_t iOffset,
                  uint64_t iLine, const char *zFmt, ...)
    __attribute__((format(printf, 6, 7)));
void hs_case_seal(hs_case *);
/* "file:line: level: message", "file: offset N: level: message" or
** "file: level: message"; malloc'd, NULL on OOM.  hs_level_name gives
** "info", "warning" or "error". */
char *hs_diag_text(const hs_diag *);
const char *hs_level_name(int level);
/* Free an input's bytes (nothing points into them any more); its name,
** kind and size stay for `info` and the report. */
void hs_input_release(hs_input *);
/* Take ownership of an input buffer (freed with the case). */
int hs_case_add_input(hs_case *, hs_input *);
/* Series: among ap[0..n), inputs of a kind whose loader has xSeriesKey and
** that occur more than once are ordered by their keys (file name the
** tie-break; no key, e.g. a dump cut short before its memstats record,
** counts as 0: the oldest); the latest gets iSeries 1, the others 2.  Byte-identical
** copies are left alone (the loader loads them once).  Cost: one sniff per
** input, and one xSeriesKey walk per member of a series, after which a
** mapped member's pages are given back (MADV_DONTNEED). */
void hs_case_mark_series(hs_input **ap, int n);

/* ------------------------------------------------------------------ */
/* Loaders: one per evidence format.  xSniff looks at the first bytes and
** returns a confidence 0..100 (0: not mine).  xLoad fills tables of the case;
** it reports problems with hs_case_diag and returns HS_OK if anything useful
** was loaded, or an error status if nothing was.
**
** A loader's entry is all the rest of heapscope needs to know about a kind:
** `--help` and hs.loaders() list zKind and zDesc, and the Lua case takes its
** fields from zTables: the first name's first component is the case field
** the evidence appears as (case.gc, case.heap, case.profiles), and every
** name without a '.' is a table that becomes a case field of that name. */
typedef struct hs_loader {
  const char *zKind;                       /* "heapdump", "pprof", "gctrace" ... */
  const char *zDesc;                       /* one line for --help, hs.loaders() and errors */
  int (*xSniff)(const uint8_t *p, size_t n);
  int (*xLoad)(hs_case *, hs_input *);
  const char *zTables;                     /* tables it fills, space-separated; "heap.*" a
                                           ** family, KIND a profile kind: "gc gc.scav" */
  /* Optional: several inputs of this kind in one case are a series.  Sets
  ** *pKey to the snapshot's place in time from its own content (a heap
  ** dump's GC count); HS_OK, or an error when the content says nothing. */
  int (*xSeriesKey)(const uint8_t *p, size_t n, uint64_t *pKey);
  int bKeepsBytes;                         /* 1: what it loads points into the input's
                                           ** bytes, kept as long as the case; 0: they
                                           ** are freed once it has loaded */
} hs_loader;

/* All loaders, NULL-terminated, in sniff priority order. */
extern const hs_loader *const hs_loaders[];
const hs_loader *hs_loader_find(const char *zKind);
/* Pick the loader for a buffer; NULL if nothing recognises it. */
const hs_loader *hs_sniff(const uint8_t *p, size_t n, int *piScore);
/* A short human description of what unknown bytes look like ("an ELF
** binary", "a gzip stream", "text starting with ...") for error messages. */
void hs_sniff_describe(const uint8_t *p, size_t n, char *zOut, size_t nOut);

/* ------------------------------------------------------------------ */
/* Sources: turn a command-line path into cases.  Every directory holding
** evidence is a case (found recursively: a directory's own files are one
** case, each of its subdirectories another); inside an archive each
** top-level directory is a case and the loose files at its root one; plain
** files named together form one case.  Files that are not evidence are
** named as skipped, not cases.  Limits guard against decompression bombs. */
typedef struct hs_limits {
  uint64_t nMaxBytes;   /* decoded bytes per input (a compressed file or an archive
                           member); default a quarter of the machine's memory */
  uint64_t nMaxTotal;   /* decoded bytes held at once by the whole run; default
                           half of the machine's memory */
  uint32_t nMaxMembers; /* members per archive (default 100000) */
  uint32_t nMaxDepth;   /* archives or compressed streams inside each other
                           (default 4) */
} hs_limits;

/* The memory this process may plan for: physical memory, or the cgroup's
** memory.max when that is lower.  The default limits derive from it. */
uint64_t hs_machine_memory(void);

typedef struct hs_caselist {
  int nCase, nCaseCap;
  hs_case **apCase;
} hs_caselist;

typedef void (*hs_progress_fn)(void *pArg, const char *zWhat, uint64_t nDone, uint64_t nTotal);

typedef struct hs_open_opts {
  hs_limits limits;
  uint32_t caseFlags;      /* HS_CASE_* for every case */
  hs_progress_fn xProgress; /* may be NULL */
  void *pProgressArg;
  const char *zBinary;     /* --binary FILE: the program's executable, for every case */
  /* Where each case goes as soon as its last input is read (the walk
  ** continues after): NULL collects them in hs_open's list.  Takes
  ** ownership of the case; returns HS_OK, or HS_ENOMEM to stop. */
  int (*xCase)(void *pArg, hs_case *);
  void *pCaseArg;
  /* Asked (when set) with each case's name before its first input loads:
  ** 0 drops the case's inputs unread (check --shard: another shard's). */
  int (*xWant)(void *pArg, const char *zName);
  /* Called (when set) as each input arrives: nRead bytes of the arguments
  ** read so far (an archive's compressed bytes consumed) of nTotal, their
  ** hs_source_size sum (0: not known, a pipe among them).  pProgressArg. */
  void (*xRead)(void *pArg, uint64_t nRead, uint64_t nTotal);
} hs_open_opts;

void hs_open_opts_init(hs_open_opts *);
/* Open the inputs named on a command line into cases and load them, one
** input at a time: an input's decoded bytes are freed once it has loaded
** (unless its loader keeps them, hs_loader.bKeepsBytes), and a case is
** complete, and handed over, as soon as the walk leaves it.  Errors that
** concern one input are recorded on its case; the return value is HS_OK
** unless memory ran out.  Inputs that could not be read at all produce a case
** holding only an error diagnostic, so the caller can report it.  The found
** inputs of an argument that are not evidence go to one case of their own
** (flag HS_CASE_SKIPPED) named after the argument -- an error case when the
** argument holds nothing else. */
int hs_open(const char *const *azPath, int nPath, const hs_open_opts *,
            hs_caselist *pOut);
void hs_caselist_free(hs_caselist *);
/* Read one path into inputs (mmap or libarchive); used by hs_open and tests.
** Calls xOnInput for each member; returns HS_OK or an error with *pzErr
** (malloc'd) describing it. */
typedef int (*hs_input_fn)(void *pArg, hs_input *pIn, const char *zMember);
int hs_source_read(const char *zPath, const hs_limits *, hs_input_fn, void *pArg,
                   char **pzErr);
/* The bytes hs_source_read of zPath reads from disk: a file's size, the
** sum of the regular files below a directory (dotfiles skipped, each file
** once), UINT64_MAX when not known (a pipe), 0 for a path it cannot stat.
** Costs a stat per file. */
uint64_t hs_source_size(const char *zPath);
/* Inflate the gzip stream p[0..n) (every member) into a malloc'd buffer
** (*pp, *pn; the caller frees it), with the decoder the source layer uses
** for .gz files, so a loader handed gzip bytes in memory (pprof) decodes
** them the same way.  Past nMax decoded bytes: with bPrefix keep the first
** nMax and stop (sniffing), else HS_ELIMIT.  A stream cut short or corrupt
** keeps what decoded and sets *pbCut.  HS_OK, HS_EFORMAT (nothing decoded),
** HS_ELIMIT or HS_ENOMEM. */
int hs_source_gunzip(const uint8_t *p, uint64_t n, uint64_t nMax, int bPrefix, uint8_t **pp,
                     uint64_t *pn, int *pbCut);
/* Load one buffer into a case with the sniffed loader (or zKind if given). */
int hs_case_load_input(hs_case *, hs_input *, const char *zKind);
/* Take an input the source layer produced into case c: an unreadable one
** (zError) or a note becomes a diagnostic, our own index file is dropped,
** one that may be a member of a series is held (c->apHeld), anything else
** is loaded (hs_case_load_input).  Owns in.  HS_OK or HS_ENOMEM. */
int hs_case_take_input(hs_case *, hs_input *);
/* Once every input of case c is taken: order the held ones into series
** (hs_case_mark_series) and load them.  HS_OK or HS_ENOMEM. */
int hs_case_load_held(hs_case *);
/* Load the inputs of a case hs_open made with HS_CASE_DEFER, after the
** --binary executable of o (the options hs_open was given; a deferred case
** does not hold it), and seal it (nothing when it is loaded already).
** A case in which nothing could be read as evidence gets an error saying
** so.  Returns HS_OK or HS_ENOMEM. */
int hs_case_load_deferred(hs_case *, const hs_open_opts *o);
/* Load the file zBinary (every member of it, read with pLimits) into case
** c as the program's executable, whatever it looks like (--binary); a file
** that cannot be read is an error on the case.  HS_OK or HS_ENOMEM. */
int hs_case_load_binary(hs_case *c, const char *zBinary, const hs_limits *pLimits);
/* After a case's inputs loaded: when nothing in it could be read as
** evidence -- no table, heap or binary came of it, no input failed with an
** error, and it is not HS_CASE_SKIPPED -- say so: an error with
** HS_CASE_BATCH (check), a warning otherwise (info, the REPL).  The one
** rule for hs_open and hs_case_load_deferred. */
void hs_case_check_read(hs_case *);
/* Load an in-memory buffer (copied) as if it were a file named zName. */
int hs_case_load_buffer(hs_case *, const char *zName, const void *p, size_t n,
                        const char *zKind);

/* Cooperative interruption: long C loops call hs_checkpoint() every ~64K
** items; it returns nonzero once the user pressed Ctrl-C. */
extern volatile int hs_interrupted;
static inline int hs_checkpoint(void) { return hs_interrupted; }

/* Utilities shared by loaders. */
char *hs_strdup(const char *);
char *hs_strndup(const char *, size_t);
char *hs_mprintf(const char *zFmt, ...) __attribute__((format(printf, 1, 2)));
char *hs_vmprintf(const char *zFmt, va_list);
/* Format a byte count as "41.9 MiB" into zOut. */
void hs_fmt_bytes(uint64_t n, char *zOut, size_t nOut);

#endif /* HEAPSCOPE_H */
