/*
 * --format html: one self-contained page (issue 13's report).  The run's
 * JSON (the json writer's document) goes into a <script type=
 * "application/json"> element; core/report/html.js, embedded in the binary,
 * renders it.  Nothing is loaded from the network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua/embed.h"
#include "report/report.h"

/* JSON inside <script>: "</" would end the element, so write it "<\/". */
static void write_script_json(FILE *out, const char *z, size_t n) {
  for (size_t i = 0; i < n; i++) {
    fputc(z[i], out);
    if (z[i] == '<' && i + 1 < n && z[i + 1] == '/') fputc('\\', out);
  }
}

/* One object as JSON fit for a <script> element; 0 or -1.  The text is
** built in memory first (one case's map: its findings and chart data,
** bounded by hs.charts). */
static int write_object(FILE *out, const msgpack_object *o) {
  char *z = NULL;
  size_t n = 0;
  FILE *m = open_memstream(&z, &n);
  if (!m) return -1;
  int rc = hs_json_write(m, o);
  if (fclose(m) != 0) rc = -1;
  if (rc == 0) write_script_json(out, z, n);
  free(z);
  return rc || ferror(out) ? -1 : 0;
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
    ".crumbs{margin:.3em 0}.legend span{border-left:12px solid;padding:0 .6em 0 .3em}"
    ".bar{display:inline-block;height:10px}.diff h4{margin:.8em 0 .2em;max-width:34em}"
    ".diff-row{display:flex;flex-wrap:wrap;gap:0 2em;align-items:flex-start}";

static const hs_embedded *page_script(void) {
  for (const hs_embedded *e = hs_embedded_files; e->zName; e++)
    if (strstr(e->zName, "report/html.js")) return e;
  return NULL;
}

/* The page streams out: its head, each case as it comes, then the summary
** and the script that renders them. */
static int html_begin(hs_report *r, const msgpack_object *pRun) {
  (void)pRun;
  if (!page_script()) return -1;            /* a build without html.js */
  fprintf(r->out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<title>heapscope report</title>\n<style>%s</style></head>\n<body>"
                  "<div id=\"hs-root\"></div>\n<script id=\"hs-data\" type=\"application/json\">"
                  "{\"cases\":[", zStyle);
  return ferror(r->out) ? -1 : 0;
}

static int html_case(hs_report *r, const msgpack_object *pCase) {
  if (r->sum.nCase > 1) fputc(',', r->out);  /* the driver counted this case */
  return write_object(r->out, pCase);
}

static int html_end(hs_report *r, const msgpack_object *pSummary) {
  FILE *out = r->out;
  const hs_embedded *js = page_script();
  fputs("],\"summary\":", out);
  int rc = write_object(out, pSummary);
  fputs("}</script>\n<script>\n", out);
  fwrite(js->zSrc, 1, (size_t)js->nSrc, out);
  fputs("</script></body></html>\n", out);
  return rc || ferror(out) ? -1 : 0;
}

const hs_writer hs_writer_html = {
    "html", "one self-contained HTML page: each case's summary, findings and charts",
    html_begin, html_case, html_end,
};
