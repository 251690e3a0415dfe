/*
 * pprof profiles: the protobuf that runtime/pprof writes for heap, allocs,
 * goroutine, mutex, block, threadcreate and CPU profiles (and that
 * `go test -memprofile` and any other pprof producer write).
 *
 * FORMAT
 *
 * A profile is one protobuf message, perftools.profiles.Profile (schema in
 * profile.proto next to this file), usually gzipped on disk.  The source
 * layer un-gzips files; a gzip stream handed straight to
 * hs_case_load_buffer() is inflated here with the source layer's decoder
 * (hs_source_gunzip).  A protobuf message is a sequence
 * of fields, each a varint key (field number << 3 | wire type) and a value:
 *
 *   wire type  value                        Profile fields of that type
 *   0 varint   LEB128, 1..10 bytes          7 drop_frames 8 keep_frames
 *                                           9 time_nanos 10 duration_nanos
 *                                           12 period 13 comment (unpacked)
 *                                           14 default_sample_type 15 doc_url
 *   1 fixed64  8 bytes                      -
 *   2 bytes    varint length, then bytes    1 sample_type 2 sample 3 mapping
 *                                           4 location 5 function
 *                                           6 string_table 11 period_type
 *                                           13 comment (packed)
 *   5 fixed32  4 bytes                      -
 *
 * Repeated scalars (Sample.location_id, Sample.value, Profile.comment) may be
 * packed (one wire-type-2 field holding the varints back to back; what Go
 * writes) or unpacked (one field per element); protobuf-c accepts both.
 * Every string in the profile is an index into string_table, whose entry 0
 * is "".  Sample.location_id[0] is the leaf; a Location's line[last] is the
 * function that was really called, and line[0..last-1] were inlined into it.
 *
 * Go writes, per profile (runtime/pprof proto.go, protomem.go, pprof.go):
 *
 *   profile       sample types                          period type     default
 *   heap          alloc_objects/count alloc_space/bytes space/bytes     -
 *                 inuse_objects/count inuse_space/bytes
 *   allocs        (same as heap)                        space/bytes     alloc_space
 *   goroutine     goroutine/count                       goroutine/count -
 *   threadcreate  threadcreate/count                    threadcreate/.. -
 *   mutex, block  contentions/count delay/nanoseconds   contentions/..  -
 *   cpu           samples/count cpu/nanoseconds         cpu/nanoseconds -
 *
 * Mutex and block profiles are byte-for-byte the same shape; they differ
 * only in their stacks (a mutex profile's leaves are the Unlock that woke a
 * waiter, a block profile's leaves are where a goroutine blocked).  We vote
 * on the leaf function names; an empty profile falls back to the input's
 * name ("mutex"/"block"), then to "block".
 *
 * RAW PROTOBUF HAS NO MAGIC.  The sniffer walks the top-level fields of the
 * first 64 KiB and wants every one to be a Profile field with the right wire
 * type, and among the first four a sample_type or period_type (a ValueType:
 * small varints only) or a string_table starting with "".  Text rarely survives that: "heap profile:"
 * reads as field 13 varint then field 12 with wire type 1, rejected.
 *
 * TABLES (K is the profile kind; a second profile of one kind in a case gets
 * K_2, then K_3 ...; ids and rows refer within one profile)
 *
 *   profiles.K.info          one row: source, kind, time_nanos, duration_nanos,
 *                            period, period_type, period_unit,
 *                            default_sample_type, drop_frames, keep_frames,
 *                            comments (joined by "\n"), doc_url
 *   profiles.K.sample_types  name, unit; in profile order
 *   profiles.K.samples       one i64 column per sample type, named by it
 *                            (HS_COL_BYTES when the unit is bytes), stack
 *                            (0-based first row in .stacks), depth (number of
 *                            locations), labels ("k=v k2=123unit", sorted as
 *                            written)
 *   profiles.K.stacks        sample, depth (0 = leaf), location (0-based row
 *                            in .locations; UINT32_MAX for an unknown id)
 *   profiles.K.locations     id, address, mapping_id, is_folded, line (first
 *                            row in .lines), nline, name (line[0]'s function)
 *   profiles.K.lines         location (row), function (row in .functions or
 *                            UINT32_MAX), name, file, line, column
 *   profiles.K.functions     id, name, system_name, filename, start_line
 *   profiles.K.mappings      id, memory_start, memory_limit, file_offset,
 *                            filename, build_id, has_functions,
 *                            has_filenames, has_line_numbers, has_inline_frames
 *   profiles.K.labels        sample, key, str, num, num_unit
 *
 * DECODER.  A hand decoder into flat arrays (see "The decoder" below), not
 * protobuf-c: on a 48 MB profile protobuf-c's unpack cost 2.2x a decoder
 * of this kind (tests/bench/RESULTS.md).  profile.proto stays as the
 * schema of record; tests/bench/pprof.sh generates protobuf-c code from it
 * for that comparison (the product does not link protobuf-c).
 *
 * ERRORS.  Top-level fields are read one by one: the profile ends at the
 * first one that is cut short or malformed (the complete fields before it
 * are kept, a warning names that byte offset, HS_ETRUNC; when no sample came
 * before it, nothing is loaded and it is an error, HS_EFORMAT), and a top-level
 * field whose inside is malformed is skipped alone (a warning names the
 * byte where the damage is).  Cost: one pass over the bytes; no recursion
 * (messages nest three deep at most: Profile > Location > Line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "heapscope/heapscope.h"
#include "base/base.h"
#include "formats/profiles.h"


/* ------------------------------------------------------------------ */
/* Protobuf wire walking (only what the sniffer and the damage scan need). */

/* Read a varint at p[*pi..n); 0 on success (advancing *pi), -1 if it is cut
** short or longer than 10 bytes. */
static int pb_varint(const uint8_t *p, size_t n, size_t *pi, uint64_t *pv) {
  uint64_t v = 0;
  for (int k = 0; k < 10; k++) {
    if (*pi >= n) return -1;
    uint8_t b = p[(*pi)++];
    v |= (uint64_t)(b & 0x7f) << (7 * k);
    if (!(b & 0x80)) {
      *pv = v;
      return 0;
    }
  }
  return -1;
}

/* The wire type a Profile field must have (-1: not a Profile field).
** Field 13 (comment) may be packed (2) or not (0): returns 0 and the caller
** accepts 2 too. */
static int profile_wiretype(uint64_t iField) {
  switch (iField) {
    case 1: case 2: case 3: case 4: case 5: case 6: case 11: case 16: return 2;
    case 7: case 8: case 9: case 10: case 12: case 13: case 14: case 15: return 0;
    default: return -1;
  }
}

/* One top-level field: where it starts, its number, and its payload. */
typedef struct pb_field {
  size_t iStart;      /* offset of the key */
  size_t iData;       /* offset of the payload (length-delimited) */
  size_t nData;       /* payload bytes (0 for varints) */
  size_t iEnd;        /* offset just past the field */
  uint64_t iField;
  int iWire;
} pb_field;

/* Parse the top-level field at p[i..n).  Returns 0, or -1 with *pzWhy set
** to what was wrong. */
static int pb_field_at(const uint8_t *p, size_t n, size_t i, pb_field *f, const char **pzWhy) {
  uint64_t key, v;
  f->iStart = i;
  if (pb_varint(p, n, &i, &key)) {
    *pzWhy = "a field key (varint) that is cut short";
    return -1;
  }
  f->iField = key >> 3;
  f->iWire = (int)(key & 7);
  int iWant = profile_wiretype(f->iField);
  if (iWant < 0 && (f->iField == 0 || f->iField > 64)) {
    *pzWhy = "a field number of the pprof Profile message (1..16)";
    return -1;
  }
  if (iWant >= 0 && f->iWire != iWant && !(f->iField == 13 && f->iWire == 2)) {
    *pzWhy = "a different wire type for this Profile field";
    return -1;
  }
  switch (f->iWire) {
    case 0:
      if (pb_varint(p, n, &i, &v)) {
        *pzWhy = "a varint value that is cut short";
        return -1;
      }
      f->iData = i;
      f->nData = 0;
      break;
    case 1: case 5: {
      size_t k = f->iWire == 1 ? 8 : 4;
      if (n - i < k) {
        *pzWhy = "a fixed-size value that is cut short";
        return -1;
      }
      f->iData = i;
      f->nData = k;
      i += k;
      break;
    }
    case 2:
      if (pb_varint(p, n, &i, &v)) {
        *pzWhy = "a length (varint) that is cut short";
        return -1;
      }
      if (v > n - i) {
        *pzWhy = "as many bytes as the field's length says (the file is truncated)";
        return -1;
      }
      f->iData = i;
      f->nData = (size_t)v;
      i += (size_t)v;
      break;
    default:
      *pzWhy = "a wire type 0, 1, 2 or 5";
      return -1;
  }
  f->iEnd = i;
  return 0;
}

/* Is p[0..n) a ValueType message: fields 1 and 2 as varints, nothing else? */
static int is_valuetype(const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint64_t key, v;
    if (pb_varint(p, n, &i, &key)) return 0;
    if ((key != (1 << 3)) && (key != (2 << 3))) return 0;
    if (pb_varint(p, n, &i, &v)) return 0;
    if (v > (1u << 24)) return 0; /* a string index: profiles hold fewer strings */
  }
  return 1;
}

/* Sniff: every visible top-level field valid (the last may run past the
** 64 KiB window), and within the first four fields, before any other
** length-delimited one, a sample_type or period_type (Go writes
** period_type, period, sample_type...) or string_table[0] == "". */
static int sniff_raw(const uint8_t *p, size_t n) {
  if (n < 2) return 0;
  pb_field f;
  const char *zWhy;
  size_t i = 0;
  int nField = 0, bGoodStart = 0;
  while (i < n) {
    if (pb_field_at(p, n, i, &f, &zWhy)) {
      /* Ran past the window (or the file is cut short, which the loader
      ** reports): fine after a good start, if only the end is missing. */
      size_t j = i;
      uint64_t key, len;
      if (bGoodStart && pb_varint(p, n, &j, &key) == 0 && (key & 7) == 2 &&
          profile_wiretype(key >> 3) == 2 && (pb_varint(p, n, &j, &len) != 0 || len > n - j))
        break;
      if (bGoodStart && n - i < 11) break; /* cut inside a key */
      return 0;
    }
    if (profile_wiretype(f.iField) < 0) return 0;
    if (nField < 4) {
      if ((f.iField == 1 || f.iField == 11) && is_valuetype(p + f.iData, f.nData)) bGoodStart = 1;
      if (f.iField == 6 && f.nData == 0) bGoodStart = 1;
      if (!bGoodStart && (nField == 3 || f.iWire == 2)) return 0;
    }
    nField++;
    i = f.iEnd;
  }
  return bGoodStart ? 90 : 0;
}

static int is_gzip(const uint8_t *p, size_t n) { return n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8; }

/* Sniff gzip too, so a .pb.gz handed to hs_case_load_buffer() is found:
** inflate the first 64 KiB and look at that.  Costs one small inflate,
** only for gzip input. */
static int sniff(const uint8_t *p, size_t n) {
  if (!is_gzip(p, n)) return sniff_raw(p, n);
  uint8_t *pRaw = NULL;
  uint64_t nRaw = 0;
  int bTrunc, iScore = 0;
  if (hs_source_gunzip(p, n, 65536, 1, &pRaw, &nRaw, &bTrunc) == HS_OK)
    iScore = sniff_raw(pRaw, (size_t)nRaw);
  free(pRaw);
  return iScore ? 80 : 0;
}

/* ------------------------------------------------------------------ */
/* The decoder.  A hand decoder, not protobuf-c: on a 48 MB profile
** protobuf-c's unpack took 2.2x the time of this kind of decoder
** (tests/bench/RESULTS.md), because it mallocs every message and copies
** every string; here repeated messages go into flat arrays and strings are
** copied once into one arena.  It also knows the byte offset of any damage,
** nested or not. */

typedef struct pvt { int64_t type, unit; } pvt;                 /* ValueType */
typedef struct plabel { int64_t key, str, num, num_unit; } plabel;
typedef struct psample {
  size_t iLoc, nLoc;  /* into pprofile.locid */
  size_t iVal, nVal;  /* into pprofile.value */
  size_t iLab, nLab;  /* into pprofile.label */
} psample;
typedef struct pmapping {
  uint64_t id, memory_start, memory_limit, file_offset;
  int64_t filename, build_id;
  int has_functions, has_filenames, has_line_numbers, has_inline_frames;
} pmapping;
typedef struct pline { uint64_t function_id; int64_t line, column; } pline;
typedef struct plocation {
  uint64_t id, mapping_id, address;
  size_t iLine, nLine; /* into pprofile.line */
  int is_folded;
} plocation;
typedef struct pfunction { uint64_t id; int64_t name, system_name, filename, start_line; } pfunction;
typedef struct pstr { size_t iOff, n; } pstr;                  /* a string in the input */

#define VEC(T) struct { T *a; size_t n, nCap; }
typedef struct pprofile {
  VEC(pvt) sample_type;
  VEC(psample) sample;
  VEC(uint64_t) locid;
  VEC(int64_t) value;
  VEC(plabel) label;
  VEC(pmapping) mapping;
  VEC(plocation) location;
  VEC(pline) line;
  VEC(pfunction) function;
  VEC(pstr) str;
  VEC(int64_t) comment;
  int64_t drop_frames, keep_frames, time_nanos, duration_nanos, period;
  int64_t default_sample_type, doc_url;
  pvt period_type;
  int bPeriodType;
  char **azStr;       /* n_string_table NUL-terminated strings (in zArena) */
  size_t nStr;
  char *zArena;
} pprofile;

/* Append x to vector v; 0 or -1 on OOM. */
#define PUSH(v, x) \
  (((v).n == (v).nCap && HS_GROW((v).a, (v).nCap, 64)) ? -1 : ((v).a[(v).n++] = (x), 0))

static void pprofile_free(pprofile *P) {
  free(P->sample_type.a);
  free(P->sample.a);
  free(P->locid.a);
  free(P->value.a);
  free(P->label.a);
  free(P->mapping.a);
  free(P->location.a);
  free(P->line.a);
  free(P->function.a);
  free(P->str.a);
  free(P->comment.a);
  free(P->azStr);
  free(P->zArena);
}

typedef struct dctx {
  const uint8_t *p;   /* the whole input */
  pprofile *P;
  size_t iErr;        /* offset of the damage */
  const char *zWhy;   /* what was expected there */
  int bOom;
} dctx;

static int fail(dctx *d, size_t i, const char *zWhy) {
  d->iErr = i;
  d->zWhy = zWhy;
  return -1;
}

/* Read a field key at *pi (< end): field number and wire type. */
static int dec_key(dctx *d, size_t *pi, size_t end, uint64_t *pField, int *pWire) {
  uint64_t key;
  size_t i0 = *pi;
  if (pb_varint(d->p, end, pi, &key)) return fail(d, i0, "a field key (varint) inside the message");
  *pField = key >> 3;
  *pWire = (int)(key & 7);
  if (*pField == 0) return fail(d, i0, "a field number above 0");
  return 0;
}

/* Skip a field's value of wire type w. */
static int dec_skip(dctx *d, size_t *pi, size_t end, int w) {
  uint64_t v;
  size_t i0 = *pi;
  switch (w) {
    case 0: if (pb_varint(d->p, end, pi, &v)) return fail(d, i0, "a varint"); return 0;
    case 1: if (end - *pi < 8) return fail(d, i0, "8 bytes"); *pi += 8; return 0;
    case 5: if (end - *pi < 4) return fail(d, i0, "4 bytes"); *pi += 4; return 0;
    case 2:
      if (pb_varint(d->p, end, pi, &v) || v > end - *pi)
        return fail(d, i0, "a length that fits in the enclosing message");
      *pi += (size_t)v;
      return 0;
    default: return fail(d, i0, "a wire type 0, 1, 2 or 5");
  }
}

/* A scalar varint field (wire type 0). */
static int dec_u64(dctx *d, size_t *pi, size_t end, int w, uint64_t *pv) {
  size_t i0 = *pi;
  if (w != 0) return fail(d, i0, "wire type 0 (varint) for this field");
  if (pb_varint(d->p, end, pi, pv)) return fail(d, i0, "a varint");
  return 0;
}
static int dec_i64(dctx *d, size_t *pi, size_t end, int w, int64_t *pv) {
  uint64_t v;
  if (dec_u64(d, pi, end, w, &v)) return -1;
  *pv = (int64_t)v;
  return 0;
}

/* The payload bounds of a length-delimited field at *pi; advances *pi. */
static int dec_len(dctx *d, size_t *pi, size_t end, int w, size_t *pStart, size_t *pEnd) {
  uint64_t v;
  size_t i0 = *pi;
  if (w != 2) return fail(d, i0, "wire type 2 (length-delimited) for this field");
  if (pb_varint(d->p, end, pi, &v) || v > end - *pi)
    return fail(d, i0, "a length that fits in the enclosing message");
  *pStart = *pi;
  *pEnd = *pi + (size_t)v;
  *pi = *pEnd;
  return 0;
}

/* A repeated u64/i64, packed (w 2) or one element (w 0). */
#define DEC_REPEATED(NAME, T, VECP)                                                     \
  static int NAME(dctx *d, size_t *pi, size_t end, int w) {                           \
    uint64_t v;                                                                         \
    if (w == 0) {                                                                       \
      if (dec_u64(d, pi, end, w, &v)) return -1;                                        \
      if (PUSH(VECP, (T)v)) { d->bOom = 1; return -1; }                                 \
      return 0;                                                                         \
    }                                                                                   \
    size_t s, e;                                                                        \
    if (dec_len(d, pi, end, w, &s, &e)) return -1;                                      \
    while (s < e) {                                                                     \
      size_t i0 = s;                                                                    \
      if (pb_varint(d->p, e, &s, &v)) return fail(d, i0, "a varint in a packed field"); \
      if (PUSH(VECP, (T)v)) { d->bOom = 1; return -1; }                                 \
    }                                                                                   \
    return 0;                                                                           \
  }
DEC_REPEATED(dec_locids, uint64_t, d->P->locid)
DEC_REPEATED(dec_values, int64_t, d->P->value)
DEC_REPEATED(dec_comments, int64_t, d->P->comment)

static int dec_valuetype(dctx *d, size_t i, size_t end, pvt *v) {
  memset(v, 0, sizeof *v);
  while (i < end) {
    uint64_t f;
    int w;
    if (dec_key(d, &i, end, &f, &w)) return -1;
    if (f == 1) { if (dec_i64(d, &i, end, w, &v->type)) return -1; }
    else if (f == 2) { if (dec_i64(d, &i, end, w, &v->unit)) return -1; }
    else if (dec_skip(d, &i, end, w)) return -1;
  }
  return 0;
}

static int dec_label(dctx *d, size_t i, size_t end) {
  plabel l = {0, 0, 0, 0};
  while (i < end) {
    uint64_t f;
    int w;
    if (dec_key(d, &i, end, &f, &w)) return -1;
    int64_t *pv = f == 1 ? &l.key : f == 2 ? &l.str : f == 3 ? &l.num : f == 4 ? &l.num_unit : NULL;
    if (pv ? dec_i64(d, &i, end, w, pv) : dec_skip(d, &i, end, w)) return -1;
  }
  if (PUSH(d->P->label, l)) { d->bOom = 1; return -1; }
  return 0;
}

static int dec_sample(dctx *d, size_t i, size_t end) {
  pprofile *P = d->P;
  psample s = {P->locid.n, 0, P->value.n, 0, P->label.n, 0};
  while (i < end) {
    uint64_t f;
    int w;
    size_t a, b;
    if (dec_key(d, &i, end, &f, &w)) return -1;
    switch (f) {
      case 1: if (dec_locids(d, &i, end, w)) return -1; break;
      case 2: if (dec_values(d, &i, end, w)) return -1; break;
      case 3: if (dec_len(d, &i, end, w, &a, &b) || dec_label(d, a, b)) return -1; break;
      default: if (dec_skip(d, &i, end, w)) return -1; break;
    }
  }
  s.nLoc = P->locid.n - s.iLoc;
  s.nVal = P->value.n - s.iVal;
  s.nLab = P->label.n - s.iLab;
  if (PUSH(P->sample, s)) { d->bOom = 1; return -1; }
  return 0;
}

static int dec_mapping(dctx *d, size_t i, size_t end) {
  pmapping m;
  memset(&m, 0, sizeof m);
  while (i < end) {
    uint64_t f, v;
    int w;
    if (dec_key(d, &i, end, &f, &w)) return -1;
    if (f < 1 || f > 10) {
      if (dec_skip(d, &i, end, w)) return -1;
      continue;
    }
    if (dec_u64(d, &i, end, w, &v)) return -1;
    switch (f) {
      case 1: m.id = v; break;
      case 2: m.memory_start = v; break;
      case 3: m.memory_limit = v; break;
      case 4: m.file_offset = v; break;
      case 5: m.filename = (int64_t)v; break;
      case 6: m.build_id = (int64_t)v; break;
      case 7: m.has_functions = v != 0; break;
      case 8: m.has_filenames = v != 0; break;
      case 9: m.has_line_numbers = v != 0; break;
      case 10: m.has_inline_frames = v != 0; break;
    }
  }
  if (PUSH(d->P->mapping, m)) { d->bOom = 1; return -1; }
  return 0;
}

static int dec_line(dctx *d, size_t i, size_t end) {
  pline l = {0, 0, 0};
  while (i < end) {
    uint64_t f;
    int w;
    if (dec_key(d, &i, end, &f, &w)) return -1;
    if (f == 1) { if (dec_u64(d, &i, end, w, &l.function_id)) return -1; }
    else if (f == 2) { if (dec_i64(d, &i, end, w, &l.line)) return -1; }
    else if (f == 3) { if (dec_i64(d, &i, end, w, &l.column)) return -1; }
    else if (dec_skip(d, &i, end, w)) return -1;
  }
  if (PUSH(d->P->line, l)) { d->bOom = 1; return -1; }
  return 0;
}

static int dec_location(dctx *d, size_t i, size_t end) {
  pprofile *P = d->P;
  plocation l;
  memset(&l, 0, sizeof l);
  l.iLine = P->line.n;
  while (i < end) {
    uint64_t f, v;
    int w;
    size_t a, b;
    if (dec_key(d, &i, end, &f, &w)) return -1;
    switch (f) {
      case 1: if (dec_u64(d, &i, end, w, &l.id)) return -1; break;
      case 2: if (dec_u64(d, &i, end, w, &l.mapping_id)) return -1; break;
      case 3: if (dec_u64(d, &i, end, w, &l.address)) return -1; break;
      case 4: if (dec_len(d, &i, end, w, &a, &b) || dec_line(d, a, b)) return -1; break;
      case 5: if (dec_u64(d, &i, end, w, &v)) return -1; l.is_folded = v != 0; break;
      default: if (dec_skip(d, &i, end, w)) return -1; break;
    }
  }
  l.nLine = P->line.n - l.iLine;
  if (PUSH(P->location, l)) { d->bOom = 1; return -1; }
  return 0;
}

static int dec_function(dctx *d, size_t i, size_t end) {
  pfunction fn;
  memset(&fn, 0, sizeof fn);
  while (i < end) {
    uint64_t f;
    int w;
    if (dec_key(d, &i, end, &f, &w)) return -1;
    int r;
    switch (f) {
      case 1: r = dec_u64(d, &i, end, w, &fn.id); break;
      case 2: r = dec_i64(d, &i, end, w, &fn.name); break;
      case 3: r = dec_i64(d, &i, end, w, &fn.system_name); break;
      case 4: r = dec_i64(d, &i, end, w, &fn.filename); break;
      case 5: r = dec_i64(d, &i, end, w, &fn.start_line); break;
      default: r = dec_skip(d, &i, end, w); break;
    }
    if (r) return -1;
  }
  if (PUSH(d->P->function, fn)) { d->bOom = 1; return -1; }
  return 0;
}

/* Lengths of every vector, to undo a top-level field that failed halfway. */
typedef struct pmark { size_t a[11]; } pmark;
static void mark(const pprofile *P, pmark *m) {
  size_t a[11] = {P->sample_type.n, P->sample.n, P->locid.n, P->value.n, P->label.n,
                  P->mapping.n, P->location.n, P->line.n, P->function.n, P->str.n, P->comment.n};
  memcpy(m->a, a, sizeof a);
}
static void rollback(pprofile *P, const pmark *m) {
  P->sample_type.n = m->a[0];
  P->sample.n = m->a[1];
  P->locid.n = m->a[2];
  P->value.n = m->a[3];
  P->label.n = m->a[4];
  P->mapping.n = m->a[5];
  P->location.n = m->a[6];
  P->line.n = m->a[7];
  P->function.n = m->a[8];
  P->str.n = m->a[9];
  P->comment.n = m->a[10];
}

/* One top-level field (already bounds-checked by pb_field_at). */
static int dec_top(dctx *d, const pb_field *f) {
  pprofile *P = d->P;
  size_t s = f->iData, e = f->iData + f->nData, i = f->iStart;
  uint64_t key, v = 0;
  pb_varint(d->p, f->iEnd, &i, &key);
  if (f->iWire == 0) pb_varint(d->p, f->iEnd, &i, &v);
  switch (f->iField) {
    case 1: {
      pvt t;
      if (dec_valuetype(d, s, e, &t)) return -1;
      if (PUSH(P->sample_type, t)) { d->bOom = 1; return -1; }
      return 0;
    }
    case 2: return dec_sample(d, s, e);
    case 3: return dec_mapping(d, s, e);
    case 4: return dec_location(d, s, e);
    case 5: return dec_function(d, s, e);
    case 6: {
      pstr z = {s, f->nData};
      if (PUSH(P->str, z)) { d->bOom = 1; return -1; }
      return 0;
    }
    case 7: P->drop_frames = (int64_t)v; return 0;
    case 8: P->keep_frames = (int64_t)v; return 0;
    case 9: P->time_nanos = (int64_t)v; return 0;
    case 10: P->duration_nanos = (int64_t)v; return 0;
    case 11: P->bPeriodType = 1; return dec_valuetype(d, s, e, &P->period_type);
    case 12: P->period = (int64_t)v; return 0;
    case 13: {
      size_t k = f->iStart;
      uint64_t kk;
      pb_varint(d->p, f->iEnd, &k, &kk);
      return dec_comments(d, &k, f->iEnd, f->iWire);
    }
    case 14: P->default_sample_type = (int64_t)v; return 0;
    case 15: P->doc_url = (int64_t)v; return 0;
    default: return 0; /* label_set (16) and fields of newer schemas */
  }
}

/* Decode p[0..n) into *P.  Damage is reported as warnings on the case: a
** field cut short or malformed at the top level ends the profile there (the
** complete fields before it are kept, HS_ETRUNC) -- an error when no sample
** came before it; a top-level field whose inside is malformed is skipped
** alone.  Returns HS_OK, HS_ETRUNC, HS_ENOMEM, or HS_EFORMAT (nothing
** decodable, or cut before any sample, inside a field or between two;
** an error is recorded). */
static int decode(hs_case *c, const char *zFile, const uint8_t *p, size_t n, pprofile *P) {
  int rc = HS_OK, nSkipped = 0, nGood = 0;
  dctx d = {p, P, 0, NULL, 0};
  size_t i = 0;
  pb_field f;
  const char *zWhy;
  while (i < n) {
    if (pb_field_at(p, n, i, &f, &zWhy)) {
      /* Cut short before any sample: the sample types or locations before
      ** the cut are no evidence of what the program allocated (as a heap
      ** dump with no whole record), so nothing is loaded. */
      if (P->sample.n == 0) {
        hs_case_diag(c, HS_ERROR, zFile, i, 0,
                     "pprof: expected %s at byte %zu of %zu, before any sample; nothing to "
                     "load. The file is cut short or damaged there: fetch the profile again",
                     zWhy, i, n);
        return HS_EFORMAT;
      }
      hs_case_diag(c, HS_WARNING, zFile, i, 0,
                   "pprof: expected %s at byte %zu of %zu; kept the complete fields before "
                   "it (%zu sample%s). If the file was cut short, fetch the profile again",
                   zWhy, i, n, P->sample.n, P->sample.n == 1 ? "" : "s");
      rc = HS_ETRUNC;
      break;
    }
    pmark m;
    mark(P, &m);
    if (dec_top(&d, &f)) {
      rollback(P, &m);
      if (d.bOom) return HS_ENOMEM;
      if (nSkipped++ < 10)
        hs_case_diag(c, HS_WARNING, zFile, d.iErr, 0,
                     "pprof: in field %llu (%zu bytes from byte %zu), expected %s at byte "
                     "%zu; skipped that field",
                     (unsigned long long)f.iField, f.iEnd - f.iStart, f.iStart, d.zWhy, d.iErr);
    } else {
      nGood++;
    }
    i = f.iEnd;
    if ((nGood & 0xffff) == 0 && hs_checkpoint()) break;
  }
  if (nGood == 0) {
    hs_case_diag(c, HS_ERROR, zFile, 0, 0,
                 "pprof: no field of a perftools.profiles.Profile message (protobuf) could be "
                 "read. Check that the file is a pprof profile (`go tool pprof -raw FILE`)");
    return HS_EFORMAT;
  }
  /* Cut between two fields before any sample: nothing reported a cut, but
  ** a profile always has a string table (its first entry is ""), which Go
  ** writes last, so one with neither samples nor strings was cut short (or
  ** is not a profile) -- nothing to load, as for a cut inside a field. */
  if (P->sample.n == 0 && P->str.n == 0) {
    hs_case_diag(c, HS_ERROR, zFile, n, 0,
                 "pprof: the profile ends at byte %zu with no sample and no string table "
                 "(every profile has one), so it was cut short before any sample; nothing "
                 "to load. Fetch the profile again", n);
    return HS_EFORMAT;
  }
  /* Strings: one arena, NUL-terminated. */
  size_t nBytes = 1;
  for (size_t k = 0; k < P->str.n; k++) nBytes += P->str.a[k].n + 1;
  P->zArena = malloc(nBytes);
  P->azStr = malloc((P->str.n + 1) * sizeof *P->azStr);
  if (!P->zArena || !P->azStr) return HS_ENOMEM;
  char *z = P->zArena;
  for (size_t k = 0; k < P->str.n; k++) {
    memcpy(z, p + P->str.a[k].iOff, P->str.a[k].n);
    z[P->str.a[k].n] = 0;
    P->azStr[k] = z;
    z += P->str.a[k].n + 1;
  }
  P->nStr = P->str.n;
  return rc;
}

/* ------------------------------------------------------------------ */
/* Id maps: a location or function id -> its index in the decoded arrays. */

/* Map id to index i unless id is mapped already: the first of duplicate ids
** wins (pprof rejects duplicates; we keep the first).  HS_OK or HS_ENOMEM. */
static int idmap_add(hs_u64map *m, uint64_t id, size_t i) {
  int bNew;
  uint64_t *pv = hs_u64map_upsert(m, id, &bNew);
  if (!pv) return HS_ENOMEM;
  if (bNew) *pv = i;
  return HS_OK;
}

/* The index of id, UINT32_MAX if no item has it. */
static uint32_t idmap_get(const hs_u64map *m, uint64_t id) {
  uint64_t v;
  return hs_u64map_get(m, id, &v) ? (uint32_t)v : UINT32_MAX;
}

/* ------------------------------------------------------------------ */
/* Kind and tables. */

typedef struct loadctx {
  hs_case *c;
  const char *zFile;
  pprofile *pr;
  int nBadStr;        /* string indexes out of range (warned once) */
} loadctx;

static const char *S(loadctx *x, int64_t i) {
  if (i >= 0 && (uint64_t)i < x->pr->nStr) return x->pr->azStr[i];
  if (x->nBadStr++ == 0)
    hs_case_diag(x->c, HS_WARNING, x->zFile, UINT64_MAX, 0,
                 "pprof: string index %lld is past the string table (%zu strings); "
                 "used \"\" for it (and for any other bad index)",
                 (long long)i, x->pr->nStr);
  return "";
}

static int has_type(loadctx *x, const char *zType) {
  for (size_t i = 0; i < x->pr->sample_type.n; i++)
    if (strcmp(S(x, x->pr->sample_type.a[i].type), zType) == 0) return 1;
  return 0;
}

static const char *leaf_name(loadctx *x, const psample *s, const hs_u64map *mLoc, const hs_u64map *mFn) {
  if (s->nLoc == 0) return "";
  uint32_t iLoc = idmap_get(mLoc, x->pr->locid.a[s->iLoc]);
  if (iLoc == UINT32_MAX) return "";
  const plocation *l = &x->pr->location.a[iLoc];
  if (l->nLine == 0) return "";
  uint32_t iFn = idmap_get(mFn, x->pr->line.a[l->iLine].function_id);
  return iFn == UINT32_MAX ? "" : S(x, x->pr->function.a[iFn].name);
}

/* The kind of profile, as named by /debug/pprof/ (see the table at the top).
** zOut gets a name safe for a table name. */
static void profile_kind(loadctx *x, const hs_u64map *mLoc, const hs_u64map *mFn, char *zOut, size_t nOut) {
  pprofile *pr = x->pr;
  const char *zDefault = S(x, pr->default_sample_type);
  if (has_type(x, "inuse_space") || has_type(x, "alloc_space")) {
    snprintf(zOut, nOut, "%s", strcmp(zDefault, "alloc_space") == 0 ? "allocs" : "heap");
    return;
  }
  if (has_type(x, "contentions") && has_type(x, "delay")) {
    int nMutex = 0, nBlock = 0;
    for (size_t i = 0; i < pr->sample.n; i++) {
      const char *z = leaf_name(x, &pr->sample.a[i], mLoc, mFn);
      if (strstr(z, "Unlock") || strcmp(z, "runtime.unlock") == 0 || strstr(z, "LostContended"))
        nMutex++;
      else if (*z)
        nBlock++;
    }
    if (nMutex != nBlock)
      snprintf(zOut, nOut, "%s", nMutex > nBlock ? "mutex" : "block");
    else
      snprintf(zOut, nOut, "%s", strstr(x->zFile, "mutex") ? "mutex" : "block");
    return;
  }
  if (has_type(x, "cpu") || (pr->bPeriodType && strcmp(S(x, pr->period_type.type), "cpu") == 0)) {
    snprintf(zOut, nOut, "cpu");
    return;
  }
  /* goroutine, threadcreate and custom profiles: named by their type. */
  const char *z = pr->sample_type.n ? S(x, pr->sample_type.a[0].type) : "";
  size_t k = 0;
  for (; *z && k + 1 < nOut && k < 40; z++)
    zOut[k++] = (*z >= 'a' && *z <= 'z') || (*z >= 'A' && *z <= 'Z') || (*z >= '0' && *z <= '9') ? *z : '_';
  zOut[k] = 0;
  if (k == 0) snprintf(zOut, nOut, "profile");
}

/* Pick K, K_2, K_3 ...: the first whose info table does not exist yet. */
static void unique_kind(hs_case *c, char *zKind, size_t nKind) {
  char zBase[80], zName[128];
  snprintf(zBase, sizeof zBase, "%.60s", zKind);
  for (int i = 1; i < 1000; i++) {
    if (i > 1) snprintf(zKind, nKind, "%.60s_%d", zBase, i);
    snprintf(zName, sizeof zName, "profiles.%s.info", zKind);
    if (!hs_case_table(c, zName)) return;
  }
}

#define ROW(t, r) do { if ((r = hs_table_add_row(t)) == UINT64_MAX) { rc = HS_ENOMEM; goto done; } } while (0)

/* Fill the tables of one decoded profile.  Returns HS_OK or HS_ENOMEM. */
static int fill_tables(loadctx *x) {
  int rc = HS_OK;
  hs_case *c = x->c;
  pprofile *pr = x->pr;
  hs_u64map mLoc = {0}, mFn = {0};
  hs_colspec *aValCol = NULL;
  char *azValName = NULL;   /* 64 bytes per value column name */
  char *zLab = NULL;
  char zKind[80];
  uint64_t r;

  if (hs_u64map_reserve(&mLoc, pr->location.n) || hs_u64map_reserve(&mFn, pr->function.n)) {
    rc = HS_ENOMEM;
    goto done;
  }
  for (size_t i = 0; i < pr->location.n && rc == HS_OK; i++)
    rc = idmap_add(&mLoc, pr->location.a[i].id, i);
  for (size_t i = 0; i < pr->function.n && rc == HS_OK; i++)
    rc = idmap_add(&mFn, pr->function.a[i].id, i);
  if (rc != HS_OK) goto done;
  profile_kind(x, &mLoc, &mFn, zKind, sizeof zKind);
  unique_kind(c, zKind, sizeof zKind);

  /* The samples' value columns: one per sample type, named after it unless
  ** the name is empty or taken (by our columns or an earlier type): value_N. */
  size_t nType = pr->sample_type.n;
  aValCol = calloc(nType + 1, sizeof *aValCol);
  azValName = calloc(nType + 1, 64);
  if (!aValCol || !azValName) {
    rc = HS_ENOMEM;
    goto done;
  }
  for (size_t i = 0; i < nType; i++) {
    const char *zType = S(x, pr->sample_type.a[i].type);
    char *zCol = azValName + i * 64;
    snprintf(zCol, 64, "%s", zType);
    int bTaken = !*zType || !strcmp(zType, "stack") || !strcmp(zType, "depth") ||
                 !strcmp(zType, "labels");
    for (size_t k = 0; k < i && !bTaken; k++) bTaken = strcmp(aValCol[k].zName, zType) == 0;
    if (bTaken) snprintf(zCol, 64, "value_%zu", i + 1);
    aValCol[i].zName = zCol;
    aValCol[i].type = HS_I64;
    aValCol[i].flags = !strcmp(S(x, pr->sample_type.a[i].unit), "bytes") ? HS_COL_BYTES : 0;
  }
  hs_profile_tables T;
  rc = hs_profile_tables_open(c, zKind, aValCol, (int)nType, NULL, 0,
                              "one row per sample: a value per sample type; stack = first row "
                              "in .stacks", &T);
  if (rc != HS_OK) goto done;
  hs_table *tInfo = T.pInfo, *tTypes = T.pTypes, *tSamp = T.pSamples, *tStk = T.pStacks,
           *tLoc = T.pLocations, *tLine = T.pLines, *tFn = T.pFunctions, *tMap = T.pMappings,
           *tLab = T.pLabels;
  int iStack = T.aiSample[PS_STACK], iDepth = T.aiSample[PS_DEPTH],
      iLabels = T.aiSample[PS_LABELS];

  /* info */
  {
    ROW(tInfo, r);
    hs_table_set_strz(tInfo, PI_SOURCE, r, x->zFile);
    hs_table_set_strz(tInfo, PI_KIND, r, zKind);
    if (pr->bPeriodType) {
      hs_table_set_strz(tInfo, PI_PERIOD_TYPE, r, S(x, pr->period_type.type));
      hs_table_set_strz(tInfo, PI_PERIOD_UNIT, r, S(x, pr->period_type.unit));
    }
    hs_table_set_strz(tInfo, PI_DEFAULT_SAMPLE_TYPE, r, S(x, pr->default_sample_type));
    hs_table_set_strz(tInfo, PI_DROP_FRAMES, r, S(x, pr->drop_frames));
    hs_table_set_strz(tInfo, PI_KEEP_FRAMES, r, S(x, pr->keep_frames));
    size_t nCom = 0;
    for (size_t i = 0; i < pr->comment.n; i++) nCom += strlen(S(x, pr->comment.a[i])) + 1;
    char *zCom = calloc(1, nCom + 1);
    if (!zCom) {
      rc = HS_ENOMEM;
      goto done;
    }
    for (size_t i = 0; i < pr->comment.n; i++) {
      if (i) strcat(zCom, "\n");
      strcat(zCom, S(x, pr->comment.a[i]));
    }
    hs_table_set_strz(tInfo, PI_COMMENTS, r, zCom);
    free(zCom);
    hs_table_set_strz(tInfo, PI_DOC_URL, r, S(x, pr->doc_url));
    hs_table_set_i64(tInfo, PI_TIME_NANOS, r, pr->time_nanos);
    hs_table_set_i64(tInfo, PI_DURATION_NANOS, r, pr->duration_nanos);
    hs_table_set_i64(tInfo, PI_PERIOD, r, pr->period);
  }

  /* sample types */
  for (size_t i = 0; i < nType; i++) {
    ROW(tTypes, r);
    hs_table_set_strz(tTypes, PT_NAME, r, S(x, pr->sample_type.a[i].type));
    hs_table_set_strz(tTypes, PT_UNIT, r, S(x, pr->sample_type.a[i].unit));
  }

  uint64_t nFrame = 0;
  nFrame = pr->locid.n;
  if (hs_table_reserve(tSamp, pr->sample.n) || hs_table_reserve(tStk, nFrame)) {
    rc = HS_ENOMEM;
    goto done;
  }
  int nBadLoc = 0, nBadVal = 0;
  size_t nLabCap = 256;
  zLab = malloc(nLabCap);
  if (!zLab) {
    rc = HS_ENOMEM;
    goto done;
  }
  for (size_t i = 0; i < pr->sample.n; i++) {
    const psample *s = &pr->sample.a[i];
    if ((i & 0xffff) == 0 && hs_checkpoint()) break;
    ROW(tSamp, r);
    if (s->nVal != pr->sample_type.n && nBadVal++ == 0)
      hs_case_diag(c, HS_WARNING, x->zFile, UINT64_MAX, 0,
                   "pprof: sample %zu has %zu values for %zu sample types; missing values "
                   "read as 0 (first of such samples)",
                   i + 1, s->nVal, pr->sample_type.n);
    for (size_t k = 0; k < pr->sample_type.n && k < s->nVal; k++)
      hs_table_set_i64(tSamp, (int)k, r, pr->value.a[s->iVal + k]);
    hs_table_set_u32(tSamp, iStack, r, (uint32_t)tStk->nRow);
    hs_table_set_u32(tSamp, iDepth, r, (uint32_t)s->nLoc);
    for (size_t k = 0; k < s->nLoc; k++) {
      uint64_t rs;
      ROW(tStk, rs);
      uint32_t iLoc = idmap_get(&mLoc, pr->locid.a[s->iLoc + k]);
      if (iLoc == UINT32_MAX && nBadLoc++ == 0)
        hs_case_diag(c, HS_WARNING, x->zFile, UINT64_MAX, 0,
                     "pprof: sample %zu refers to location id %llu, which the profile does "
                     "not define; that frame is recorded as unknown",
                     i + 1, (unsigned long long)pr->locid.a[s->iLoc + k]);
      hs_table_set_u32(tStk, PK_SAMPLE, rs, (uint32_t)r);
      hs_table_set_u32(tStk, PK_DEPTH, rs, (uint32_t)k);
      hs_table_set_u32(tStk, PK_LOCATION, rs, iLoc);
    }
    /* Labels, both as rows and as one "k=v k2=12unit" string. */
    size_t nLab = 0;
    zLab[0] = 0;
    for (size_t k = 0; k < s->nLab; k++) {
      const plabel *lb = &pr->label.a[s->iLab + k];
      uint64_t rl;
      ROW(tLab, rl);
      const char *zKey = S(x, lb->key), *zStr = S(x, lb->str), *zUnit = S(x, lb->num_unit);
      hs_table_set_u32(tLab, PB_SAMPLE, rl, (uint32_t)r);
      hs_table_set_strz(tLab, PB_KEY, rl, zKey);
      hs_table_set_strz(tLab, PB_STR, rl, zStr);
      hs_table_set_i64(tLab, PB_NUM, rl, lb->num);
      hs_table_set_strz(tLab, PB_NUM_UNIT, rl, zUnit);
      char zNum[32];
      if (lb->str == 0) snprintf(zNum, sizeof zNum, "%lld", (long long)lb->num);
      size_t nNeed = nLab + strlen(zKey) + strlen(zStr) + strlen(zUnit) + 40;
      if (nNeed > nLabCap) {
        char *zNew = realloc(zLab, nNeed * 2);
        if (!zNew) {
          rc = HS_ENOMEM;
          goto done;
        }
        zLab = zNew;
        nLabCap = nNeed * 2;
      }
      nLab += (size_t)sprintf(zLab + nLab, "%s%s=%s%s", nLab ? " " : "", zKey,
                              lb->str ? zStr : zNum, lb->str ? "" : zUnit);
    }
    if (nLab) hs_table_set_str(tSamp, iLabels, r, zLab, nLab);
  }

  /* functions */
  for (size_t i = 0; i < pr->function.n; i++) {
    const pfunction *f = &pr->function.a[i];
    ROW(tFn, r);
    hs_table_set_u64(tFn, PF_ID, r, f->id);
    hs_table_set_strz(tFn, PF_NAME, r, S(x, f->name));
    hs_table_set_strz(tFn, PF_SYSTEM_NAME, r, S(x, f->system_name));
    hs_table_set_strz(tFn, PF_FILENAME, r, S(x, f->filename));
    hs_table_set_i64(tFn, PF_START_LINE, r, f->start_line);
  }

  /* locations and their lines */
  for (size_t i = 0; i < pr->location.n; i++) {
    const plocation *l = &pr->location.a[i];
    ROW(tLoc, r);
    hs_table_set_u64(tLoc, PL_ID, r, l->id);
    hs_table_set_u64(tLoc, PL_ADDRESS, r, l->address);
    hs_table_set_u64(tLoc, PL_MAPPING_ID, r, l->mapping_id);
    hs_table_set_u32(tLoc, PL_IS_FOLDED, r, l->is_folded ? 1 : 0);
    hs_table_set_u32(tLoc, PL_LINE, r, (uint32_t)tLine->nRow);
    hs_table_set_u32(tLoc, PL_NLINE, r, (uint32_t)l->nLine);
    for (size_t k = 0; k < l->nLine; k++) {
      const pline *ln = &pr->line.a[l->iLine + k];
      uint64_t rl;
      ROW(tLine, rl);
      uint32_t iFn = idmap_get(&mFn, ln->function_id);
      hs_table_set_u32(tLine, PN_LOCATION, rl, (uint32_t)r);
      hs_table_set_u32(tLine, PN_FUNCTION, rl, iFn);
      if (iFn != UINT32_MAX) {
        const char *zName = S(x, pr->function.a[iFn].name);
        hs_table_set_strz(tLine, PN_NAME, rl, zName);
        hs_table_set_strz(tLine, PN_FILE, rl, S(x, pr->function.a[iFn].filename));
        if (k == 0) hs_table_set_strz(tLoc, PL_NAME, r, zName);
      }
      hs_table_set_i64(tLine, PN_LINE, rl, ln->line);
      hs_table_set_i64(tLine, PN_COLUMN, rl, ln->column);
    }
  }

  /* mappings */
  {
    for (size_t i = 0; i < pr->mapping.n; i++) {
      const pmapping *m = &pr->mapping.a[i];
      ROW(tMap, r);
      hs_table_set_u64(tMap, PM_ID, r, m->id);
      hs_table_set_u64(tMap, PM_MEMORY_START, r, m->memory_start);
      hs_table_set_u64(tMap, PM_MEMORY_LIMIT, r, m->memory_limit);
      hs_table_set_u64(tMap, PM_FILE_OFFSET, r, m->file_offset);
      hs_table_set_strz(tMap, PM_FILENAME, r, S(x, m->filename));
      hs_table_set_strz(tMap, PM_BUILD_ID, r, S(x, m->build_id));
      hs_table_set_u32(tMap, PM_HAS_FUNCTIONS, r, m->has_functions ? 1 : 0);
      hs_table_set_u32(tMap, PM_HAS_FILENAMES, r, m->has_filenames ? 1 : 0);
      hs_table_set_u32(tMap, PM_HAS_LINE_NUMBERS, r, m->has_line_numbers ? 1 : 0);
      hs_table_set_u32(tMap, PM_HAS_INLINE_FRAMES, r, m->has_inline_frames ? 1 : 0);
    }
  }

done:
  hs_u64map_free(&mLoc);
  hs_u64map_free(&mFn);
  free(aValCol);
  free(azValName);
  free(zLab);
  return rc;
}

/* Load one profile (raw protobuf, or gzip of it). */
static int load(hs_case *c, hs_input *in) {
  int rc = HS_OK;
  uint8_t *pRaw = NULL;
  pprofile P;
  memset(&P, 0, sizeof P);
  const uint8_t *p = in->p;
  size_t n = (size_t)in->n;
  if (is_gzip(p, n)) {
    int bTrunc = 0;
    uint64_t nMax = c->nMaxBytes ? c->nMaxBytes : hs_machine_memory() / 4;
    uint64_t nRaw = 0;
    rc = hs_source_gunzip(p, n, nMax, 0, &pRaw, &nRaw, &bTrunc);
    n = (size_t)nRaw;
    if (rc != HS_OK) {
      char zMax[32];
      hs_fmt_bytes(nMax, zMax, sizeof zMax);
      if (rc == HS_ELIMIT)
        hs_case_diag(c, HS_ERROR, in->zName, 0, 0,
                     "pprof: not loaded: the gzip stream inflates to more than --max-bytes "
                     "(%s per input); raise --max-bytes if the machine has the memory", zMax);
      else
        hs_case_diag(c, HS_ERROR, in->zName, 0, 0,
                     "pprof: the gzip stream does not inflate; check the file with `gzip -t`");
      goto done;
    }
    if (bTrunc)
      hs_case_diag(c, HS_WARNING, in->zName, UINT64_MAX, 0,
                   "pprof: the gzip stream is cut short; reading the %zu bytes it gave", n);
    p = pRaw;
  }
  int rcDecode = decode(c, in->zName, p, n, &P);
  if (rcDecode != HS_OK && rcDecode != HS_ETRUNC) {
    rc = rcDecode;
    if (rc == HS_ENOMEM) hs_case_diag(c, HS_ERROR, in->zName, UINT64_MAX, 0, "pprof: out of memory");
    goto done;
  }
  loadctx x = {c, in->zName, &P, 0};
  rc = fill_tables(&x);
  if (rc == HS_OK) rc = rcDecode;
done:
  pprofile_free(&P);
  free(pRaw);
  return rc;
}

const hs_loader hs_loader_pprof = {"pprof", "pprof profile (protobuf, gzipped or not)", sniff, load,
                                   "profiles.KIND.*", NULL, 0};
