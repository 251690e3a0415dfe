/*
 * The writer registry and the driver every writer shares: it decodes each
 * case's msgpack map, keeps the summary and computes the exit status.
 */
#include <errno.h>
#include <string.h>

#include "heapscope/heapscope.h"
#include "report/report.h"

extern const hs_writer hs_writer_text, hs_writer_json, hs_writer_jsonl, hs_writer_msgpack,
    hs_writer_junit, hs_writer_html;

/* --format NAME, in the order --help lists them. */
const hs_writer *const hs_writers[] = {
    &hs_writer_text,
    &hs_writer_json,
    &hs_writer_jsonl,
    &hs_writer_msgpack,
    &hs_writer_junit,
    &hs_writer_html,
    NULL,
};

const hs_writer *hs_writer_find(const char *zName) {
  for (int i = 0; hs_writers[i]; i++)
    if (strcmp(hs_writers[i]->zName, zName) == 0) return hs_writers[i];
  return NULL;
}

int hs_report_begin(hs_report *r, const hs_writer *w, FILE *out, int eFailOn,
                    const char *pRun, size_t nRun) {
  memset(&r->sum, 0, sizeof r->sum);
  r->pWriter = w;
  r->out = out;
  r->eFailOn = eFailOn;
  r->pState = NULL;
  msgpack_zone_init(&r->zone, 2048);
  /* Unpacked strings point into the bytes: keep a copy for the whole run. */
  char *pCopy = msgpack_zone_malloc(&r->zone, nRun ? nRun : 1);
  size_t off = 0;
  if (pCopy) memcpy(pCopy, pRun, nRun);
  if (!pCopy || msgpack_unpack(pCopy, nRun, &off, &r->zone, &r->run) != MSGPACK_UNPACK_SUCCESS)
    r->run.type = MSGPACK_OBJECT_NIL;
  return w->xBegin ? w->xBegin(r, &r->run) : 0;
}

int hs_report_case(hs_report *r, const char *p, size_t n) {
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  size_t off = 0;
  int rc = -2;
  if (msgpack_unpack_next(&u, p, n, &off) != MSGPACK_UNPACK_SUCCESS ||
      u.data.type != MSGPACK_OBJECT_MAP || !hs_mp_get(&u.data, "name"))
    goto done;
  const msgpack_object *c = &u.data;
  r->sum.nCase++;
  const msgpack_object *e = hs_mp_get(c, "errors");
  if (e && e->type == MSGPACK_OBJECT_ARRAY && e->via.array.size > 0) r->sum.nCaseError++;
  const msgpack_object *f = hs_mp_get(c, "findings");
  if (f && f->type == MSGPACK_OBJECT_ARRAY) {
    for (uint32_t i = 0; i < f->via.array.size; i++) {
      const char *z;
      size_t nz;
      hs_mp_str(&f->via.array.ptr[i], "severity", &z, &nz);
      int eSev = hs_severity(z, nz);
      if (eSev >= HS_SEV_INFO && eSev <= HS_SEV_ERROR) {
        r->sum.anSev[eSev]++;
        if (eSev > r->sum.eWorst) r->sum.eWorst = eSev;
      }
    }
  }
  rc = r->pWriter->xCase ? r->pWriter->xCase(r, c) : 0;
done:
  msgpack_unpacked_destroy(&u);
  return rc;
}

static void pack_cstr(msgpack_packer *pk, const char *z) {
  msgpack_pack_str(pk, strlen(z));
  msgpack_pack_str_body(pk, z, strlen(z));
}

/* Copy a field of the run map into the summary (nil if absent). */
static void pack_run_field(msgpack_packer *pk, const hs_report *r, const char *zKey) {
  const msgpack_object *v = hs_mp_get(&r->run, zKey);
  pack_cstr(pk, zKey);
  if (v) msgpack_pack_object(pk, *v);
  else msgpack_pack_nil(pk);
}

int hs_report_end(hs_report *r) {
  const hs_summary *s = &r->sum;
  int status = s->nCaseError > 0 ? 2
               : r->eFailOn != HS_SEV_NEVER && s->eWorst >= r->eFailOn && s->eWorst ? 1
                                                                                    : 0;
  msgpack_sbuffer sb;
  msgpack_sbuffer_init(&sb);
  msgpack_packer pk;
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_map(&pk, 11);
  pack_cstr(&pk, "cases");
  msgpack_pack_int(&pk, s->nCase);
  pack_cstr(&pk, "case_errors");
  msgpack_pack_int(&pk, s->nCaseError);
  pack_cstr(&pk, "findings");
  msgpack_pack_int(&pk, s->anSev[1] + s->anSev[2] + s->anSev[3]);
  for (int i = HS_SEV_INFO; i <= HS_SEV_ERROR; i++) {
    pack_cstr(&pk, hs_severity_name(i));
    msgpack_pack_int(&pk, s->anSev[i]);
  }
  pack_cstr(&pk, "fail_on");
  pack_cstr(&pk, hs_severity_name(r->eFailOn));
  pack_cstr(&pk, "status");
  msgpack_pack_int(&pk, status);
  pack_run_field(&pk, r, "pack");
  pack_run_field(&pk, r, "detectors");
  pack_run_field(&pk, r, "absent");
  msgpack_unpacked u;
  msgpack_unpacked_init(&u);
  size_t off = 0;
  int rc = status;
  if (msgpack_unpack_next(&u, sb.data, sb.size, &off) != MSGPACK_UNPACK_SUCCESS) {
    errno = ENOMEM;
    rc = -1;
  } else if (r->pWriter->xEnd && r->pWriter->xEnd(r, &u.data) != 0)
    rc = -1;
  if (fflush(r->out) != 0 || ferror(r->out)) rc = -1;
  msgpack_unpacked_destroy(&u);
  msgpack_sbuffer_destroy(&sb);
  msgpack_zone_destroy(&r->zone);
  return rc;
}
