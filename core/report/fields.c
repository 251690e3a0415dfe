/*
 * What every writer and the driver read from a case's msgpack map: severity
 * names and typed field lookups.  A file of its own below report.c (the
 * writer registry) and the writers, so writers never call back into the
 * registry that lists them.
 */
#include <string.h>

#include "heapscope/heapscope.h"
#include "report/report.h"

static const char *const azSev[] = {"none", "info", "warning", "error", "never"};

int hs_severity(const char *z, size_t n) {
  for (int i = HS_SEV_INFO; i <= HS_SEV_NEVER; i++)
    if (strlen(azSev[i]) == n && memcmp(azSev[i], z, n) == 0) return i;
  return 0;
}

const char *hs_severity_name(int eSev) {
  return eSev >= 0 && eSev <= HS_SEV_NEVER ? azSev[eSev] : "?";
}

const msgpack_object *hs_mp_get(const msgpack_object *pMap, const char *zKey) {
  if (!pMap || pMap->type != MSGPACK_OBJECT_MAP) return NULL;
  size_t nKey = strlen(zKey);
  for (uint32_t i = 0; i < pMap->via.map.size; i++) {
    const msgpack_object *k = &pMap->via.map.ptr[i].key;
    if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == nKey &&
        memcmp(k->via.str.ptr, zKey, nKey) == 0)
      return &pMap->via.map.ptr[i].val;
  }
  return NULL;
}

int hs_mp_str(const msgpack_object *pMap, const char *zKey, const char **pz, size_t *pn) {
  const msgpack_object *v = hs_mp_get(pMap, zKey);
  if (!v || v->type != MSGPACK_OBJECT_STR) {
    *pz = "";
    *pn = 0;
    return 0;
  }
  *pz = v->via.str.ptr;
  *pn = v->via.str.size;
  return 1;
}

int64_t hs_mp_int(const msgpack_object *pMap, const char *zKey, int64_t iDefault) {
  const msgpack_object *v = hs_mp_get(pMap, zKey);
  if (!v) return iDefault;
  if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) return (int64_t)v->via.u64;
  if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) return v->via.i64;
  if (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32)
    return (int64_t)v->via.f64;
  return iDefault;
}
