/*
 * --format html: one self-contained page (issue 13's report).  The run's
 * JSON (the json writer's document) goes into a <script type=
 * "application/json"> element; core/report/html.js, embedded in the binary,
 * renders it.  Nothing is loaded from the network.
 */
#include <stdlib.h>
#include <string.h>

#include "lua/embed.h"
#include "report/report.h"

typedef struct html_state {
  char *z;              /* the cases' JSON, comma-separated */
  size_t n;
  FILE *mem;
  int nCase;
} html_state;

static int html_begin(hs_report *r, const msgpack_object *pRun) {
  (void)pRun;
  html_state *s = calloc(1, sizeof *s);
  if (!s || !(s->mem = open_memstream(&s->z, &s->n))) {
    free(s);
    return -1;
  }
  r->pState = s;
  return 0;
}

static int html_case(hs_report *r, const msgpack_object *pCase) {
  html_state *s = r->pState;
  if (s->nCase++) fputc(',', s->mem);
  return hs_json_write(s->mem, pCase);
}

/* JSON inside <script>: "</" would end the element, so write it "<\/". */
static void write_script_json(FILE *out, const char *z, size_t n) {
  for (size_t i = 0; i < n; i++) {
    fputc(z[i], out);
    if (z[i] == '<' && i + 1 < n && z[i + 1] == '/') fputc('\\', out);
  }
}

static const char zStyle[] =
    "body{font:14px/1.4 sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
    "text-align:left}.num{border-bottom:1px dotted #888}"
    ".finding{border-left:4px solid #888;padding:.3em .8em;margin:.6em 0;background:#f8f8f8}"
    ".sev-error{border-color:#c00}.sev-warning{border-color:#e90}.sev-info{border-color:#39c}"
    ".sev{text-transform:uppercase;font-size:12px;font-weight:bold}.det{color:#666}"
    "pre{background:#fff;border:1px solid #ddd;padding:.5em;overflow:auto;max-height:30em}"
    ".chart>summary{font-weight:bold;margin:.6em 0;cursor:pointer}.missing{color:#888}"
    "svg{font:11px sans-serif;display:block}.block{cursor:pointer}.block:hover rect{stroke:#000}"
    ".grid{stroke:#eee}.point{fill:transparent}.point:hover{fill:rgba(0,0,0,.06)}"
    ".crumbs{margin:.3em 0}.legend span{border-left:12px solid;padding:0 .6em 0 .3em}";

static int html_end(hs_report *r, const msgpack_object *pSummary) {
  html_state *s = r->pState;
  FILE *out = r->out;
  int rc = fclose(s->mem) == 0 ? 0 : -1;
  const hs_embedded *js = NULL;
  for (const hs_embedded *e = hs_embedded_files; e->zName; e++)
    if (strstr(e->zName, "report/html.js")) js = e;
  fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<title>heapscope report</title>\n<style>%s</style></head>\n<body>"
               "<div id=\"hs-root\"></div>\n<script id=\"hs-data\" type=\"application/json\">"
               "{\"cases\":[", zStyle);
  write_script_json(out, s->z, s->n);
  fputs("],\"summary\":", out);
  char *zSum = NULL;
  size_t nSum = 0;
  FILE *m = open_memstream(&zSum, &nSum);
  if (m) {
    hs_json_write(m, pSummary);
    fclose(m);
    write_script_json(out, zSum, nSum);
  } else {
    rc = -1;
  }
  fputs("}</script>\n<script>\n", out);
  if (js) fwrite(js->zSrc, 1, (size_t)js->nSrc, out);
  fputs("</script></body></html>\n", out);
  free(zSum);
  free(s->z);
  free(s);
  r->pState = NULL;
  return rc || !js || ferror(out) ? -1 : 0;
}

const hs_writer hs_writer_html = {
    "html", "one self-contained HTML page: each case's summary and findings with evidence",
    html_begin, html_case, html_end,
};
