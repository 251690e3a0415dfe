/*
 * Text that the Go runtime writes to stderr (gctrace, scavtrace, pacer
 * lines, goroutine tracebacks) ends up in log files mixed with the
 * program's own output, often wrapped by a container runtime.  This header
 * is private to the loaders that read such text: the line reader that
 * removes container framing (golog.c), the two extractors (gctrace.c,
 * goroutines.c) and their loaders (textlog.c), which run both extractors so
 * a log holding both kinds of content yields both.
 *
 * The line reader understands, line by line (forms may even mix):
 *
 *   plain        gc 1 @0.006s 1%: ...
 *   Kubernetes   2024-05-01T10:00:00.123456789Z stderr F gc 1 @0.006s ...
 *   CRI          (tag P = partial: the record continues in the next line)
 *   Docker       {"log":"gc 1 @0.006s ...\n","stream":"stderr","time":"..."}
 *   json-file    (a log string without a final \n is a partial record)
 *   JSON lines   any JSON object with a string "log", "message" or "msg"
 *                (log shippers: Fluent Bit, Vector, Logstash), any key order
 *                and whitespace; "time", "timestamp" or "@timestamp" is
 *                the timestamp
 *   kubectl logs 2024-05-01T10:00:00.123456789Z gc 1 @0.006s ...
 *   --timestamps
 *
 * Partial records are joined into one logical line.  Cost: one memchr per
 * physical line; container lines are copied once into a reusable buffer
 * (no allocation per line).
 */
#ifndef HS_GOLOG_H
#define HS_GOLOG_H

#include <stddef.h>
#include <stdint.h>
#include "heapscope/heapscope.h"

typedef struct hs_logline {
  const char *z;        /* content without framing, newline or CR */
  size_t n;             /* bytes in z */
  uint64_t iLine;       /* 1-based physical line where the record starts */
  uint64_t iOff;        /* byte offset where the record starts */
  const char *zTime;    /* container timestamp text (RFC 3339), or NULL */
  size_t nTime;         /* bytes in zTime */
  int bCut;             /* 1: the input ended inside a partial record */
} hs_logline;

typedef struct hs_logreader {
  const char *p;        /* the input */
  size_t n;             /* input length */
  size_t iPos;          /* offset of the next physical line */
  uint64_t iLine;       /* physical lines consumed */
  char *aBuf;           /* joined or JSON-decoded content */
  size_t nBuf;          /* bytes used in aBuf */
  size_t nBufCap;       /* bytes allocated for aBuf */
  const char *zTime;    /* timestamp of the pending partial record */
  size_t nTime;
  uint64_t iPendLine;   /* line and offset where the pending record began */
  uint64_t iPendOff;
  int bPending;         /* a partial record is being joined in aBuf */
  char cStream;         /* its stream: 'o' stdout, 'e' stderr (CRI), 'd' Docker */
  int bNoMem;           /* aBuf could not grow: content was truncated */
  hs_case *c;           /* hs_logreader_init_input: the case warned on Ctrl-C */
  const hs_input *in;   /* the input read */
  const char *zWhat;    /* what its rows are, for that warning */
  uint64_t nRecord;     /* logical lines returned */
} hs_logreader;

/* A joined partial record is cut at this many bytes (bNoMem is then set). */
#define HS_LOG_MAX_RECORD (1u << 20)

/* A JSON-wrapped log line: where its text starts (after the opening quote
** of the "log", "message" or "msg" value, the first of these present) and
** its timestamp. */
typedef struct hs_logjson {
  size_t iText;         /* offset of the text's first byte (still JSON-escaped) */
  int bLog;             /* the key is "log" (Docker's: may be partial) */
  size_t iTime, nTime;  /* timestamp text, nTime 0 if none */
} hs_logjson;
/* 1 if z[0..n) is one JSON object (nothing but blanks after it) holding a
** string "log", "message" or "msg"; fills *pOut.  One pass over the line. */
int hs_golog_json_record(const char *z, size_t n, hs_logjson *pOut);

void hs_logreader_init(hs_logreader *, const uint8_t *p, size_t n);
/* The same over an input of case c, where Ctrl-C stops reading: every
** 64 K lines hs_logreader_next polls it and, when pressed, warns on that
** line that the zWhat ("gctrace") rows before it were kept and ends. */
void hs_logreader_init_input(hs_logreader *, hs_case *c, const hs_input *in, const char *zWhat);
/* Next logical line into *pL (valid until the next call); 0 at the end. */
int hs_logreader_next(hs_logreader *, hs_logline *pL);
/* The input's name in the case's string pool (0 when memory ran out): the
** source column of both extractors' rows. */
uint32_t hs_golog_source_id(hs_case *c, const hs_input *in);
void hs_logreader_free(hs_logreader *);
/* The extractors fill their tables from every line of theirs in pIn and
** ignore all other lines.  *pnRow receives the rows added; *pbOther is set
** when lines of the other kind were seen, so the loader that owns the file
** can call the other extractor on the same buffer.  They return HS_OK,
** HS_ENOMEM, or HS_ETRUNC (the input ended inside a record; what was
** complete was kept and a warning says where). */
int hs_gctrace_extract(hs_case *, hs_input *pIn, uint64_t *pnRow, int *pbOther);
int hs_goroutines_extract(hs_case *, hs_input *pIn, uint64_t *pnRow, int *pbOther);
/* Their sniffers (hs_loader.xSniff); textlog.c holds the two loaders. */
int hs_gctrace_sniff(const uint8_t *p, size_t n);
int hs_goroutines_sniff(const uint8_t *p, size_t n);

/* Is the logical line z[0..n) a goroutine dump header ("goroutine 7 [",
** "goroutine 7 gp=", "goroutine profile: total")?  Is it a gctrace,
** scavtrace or pacer line?  Both are cheap (a few byte compares). */
int hs_golog_is_goroutine_line(const char *z, size_t n);
int hs_golog_is_gc_line(const char *z, size_t n);
/* The gc line proper ("gc N @..."), not scav, pacer or "GC forced". */
int hs_golog_is_gc_start(const char *z, size_t n);

#endif
