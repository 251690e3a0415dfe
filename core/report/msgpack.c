/*
 * --format msgpack: a stream of msgpack maps, one per case, the same maps
 * as jsonl's lines; shards concatenate.  Read back with any msgpack
 * stream unpacker (python3-msgpack's Unpacker, msgpack-c's
 * msgpack_unpacker).
 */
#include "report/report.h"

static int write_file(void *pData, const char *p, size_t n) {
  return fwrite(p, 1, n, (FILE *)pData) == n ? 0 : -1;
}

static int msgpack_case(hs_report *r, const msgpack_object *pCase) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, r->out, write_file);
  return msgpack_pack_object(&pk, *pCase) == 0 && !ferror(r->out) ? 0 : -1;
}

const hs_writer hs_writer_msgpack = {
    "msgpack", "a stream of msgpack maps, one per case (as jsonl); shards concatenate",
    NULL, msgpack_case, NULL,
};
