/*
 * --format json: one document (DESIGN.md)
 *
 *   {"cases": [CASE, ...], "summary": {...}}
 *
 * with one case per line so a diff of two runs reads well.  hs_json_write
 * is the encoder every JSON-speaking writer uses: strings stay UTF-8,
 * invalid bytes become U+FFFD, so any input makes a valid document.
 */
#include <string.h>

#include "report/report.h"

size_t hs_utf8_len(const unsigned char *p, size_t n) {
  unsigned c = p[0];
  size_t len;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) len = 2, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef) len = 3, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4) len = 4, min = 0x10000;
  else return 0;
  if (len > n) return 0;
  unsigned cp = c & (0x3f >> (len - 1));
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

static void write_str(FILE *f, const char *z, size_t n) {
  const unsigned char *p = (const unsigned char *)z;
  putc('"', f);
  for (size_t i = 0; i < n;) {
    unsigned c = p[i];
    if (c == '"' || c == '\\') {
      putc('\\', f);
      putc((int)c, f);
      i++;
    } else if (c == '\n') {
      fputs("\\n", f), i++;
    } else if (c == '\t') {
      fputs("\\t", f), i++;
    } else if (c == '\r') {
      fputs("\\r", f), i++;
    } else if (c < 0x20 || c == 0x7f) {
      fprintf(f, "\\u%04x", c), i++;
    } else if (c < 0x80) {
      putc((int)c, f), i++;
    } else {
      size_t len = hs_utf8_len(p + i, n - i);
      if (len == 0) {
        fputs("\\ufffd", f);
        i++;
      } else {
        fwrite(p + i, 1, len, f);
        i += len;
      }
    }
  }
  putc('"', f);
}

int hs_json_write(FILE *f, const msgpack_object *o) {
  switch (o->type) {
  case MSGPACK_OBJECT_NIL:
    fputs("null", f);
    break;
  case MSGPACK_OBJECT_BOOLEAN:
    fputs(o->via.boolean ? "true" : "false", f);
    break;
  case MSGPACK_OBJECT_POSITIVE_INTEGER:
    fprintf(f, "%llu", (unsigned long long)o->via.u64);
    break;
  case MSGPACK_OBJECT_NEGATIVE_INTEGER:
    fprintf(f, "%lld", (long long)o->via.i64);
    break;
  case MSGPACK_OBJECT_FLOAT32:
  case MSGPACK_OBJECT_FLOAT64:
    fprintf(f, "%.17g", o->via.f64);
    break;
  case MSGPACK_OBJECT_STR:
    write_str(f, o->via.str.ptr, o->via.str.size);
    break;
  case MSGPACK_OBJECT_BIN:
    write_str(f, o->via.bin.ptr, o->via.bin.size);
    break;
  case MSGPACK_OBJECT_ARRAY:
    putc('[', f);
    for (uint32_t i = 0; i < o->via.array.size; i++) {
      if (i) putc(',', f);
      hs_json_write(f, &o->via.array.ptr[i]);
    }
    putc(']', f);
    break;
  case MSGPACK_OBJECT_MAP:
    putc('{', f);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
      const msgpack_object_kv *kv = &o->via.map.ptr[i];
      if (i) putc(',', f);
      if (kv->key.type == MSGPACK_OBJECT_STR)
        write_str(f, kv->key.via.str.ptr, kv->key.via.str.size);
      else
        write_str(f, "?", 1);
      putc(':', f);
      hs_json_write(f, &kv->val);
    }
    putc('}', f);
    break;
  default: /* EXT: not produced by the engine */
    fputs("null", f);
  }
  return ferror(f) ? -1 : 0;
}

static int json_begin(hs_report *r, const msgpack_object *pRun) {
  (void)pRun;
  r->pState = NULL;                           /* non-NULL once a case is out */
  fputs("{\"cases\":[", r->out);
  return ferror(r->out) ? -1 : 0;
}

static int json_case(hs_report *r, const msgpack_object *pCase) {
  fputs(r->pState ? ",\n" : "\n", r->out);
  r->pState = r;
  return hs_json_write(r->out, pCase);
}

static int json_end(hs_report *r, const msgpack_object *pSummary) {
  fputs(r->pState ? "\n],\"summary\":" : "],\"summary\":", r->out);
  hs_json_write(r->out, pSummary);
  fputs("}\n", r->out);
  return ferror(r->out) ? -1 : 0;
}

const hs_writer hs_writer_json = {
    "json", "one JSON document: {\"cases\": [...], \"summary\": {...}}",
    json_begin, json_case, json_end,
};
