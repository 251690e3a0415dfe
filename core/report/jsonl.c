/*
 * --format jsonl: one case map per line (the maps of json's "cases"), no
 * summary, so the outputs of shards (--shard K/N) concatenate into the
 * output of one run.
 */
#include "report/report.h"

static int jsonl_case(hs_report *r, const msgpack_object *pCase) {
  if (hs_json_write(r->out, pCase) != 0) return -1;
  putc('\n', r->out);
  return ferror(r->out) ? -1 : 0;
}

const hs_writer hs_writer_jsonl = {
    "jsonl", "one JSON case map per line; shards concatenate", NULL, jsonl_case, NULL,
};
