// The page of `heapscope check --format html` (core/report/html.c embeds it
// after the run's JSON): a summary of each case, its findings with their
// evidence, and its charts from case.charts (core/lua/charts.lua): the
// dominator tree as an icicle and the heap profile as a flame graph (one
// partition chart: click a block to zoom in, the top row to zoom out), the
// GC timeline and MemStats as line charts, goroutine groups as a table,
// and for a case holding a series what grew between its snapshots.
// Sizes are human, exact on hover.  Plain DOM and SVG, no libraries, nothing
// loaded from the network.
"use strict";
(function () {
  var data = JSON.parse(document.getElementById("hs-data").textContent);
  var root = document.getElementById("hs-root");

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    (kids || []).forEach(function (c) {
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }

  // 1536 -> "1.5 KiB"; the exact count goes in the hover title.
  function human(n) {
    var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0, v = n;
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i ? v.toFixed(1) : String(v)) + " " + units[i];
  }
  function size(n) {
    if (typeof n !== "number") return el("span", {}, ["-"]);
    return el("span", { title: n.toLocaleString("en") + " bytes", "class": "num" }, [human(n)]);
  }

  function table(head, rows) {
    return el("table", {}, [el("thead", {}, [el("tr", {}, head.map(function (h) {
      return el("th", {}, [h]);
    }))]), el("tbody", {}, rows.map(function (r) {
      return el("tr", {}, r.map(function (c) { return el("td", {}, [c]); }));
    }))]);
  }

  function list(title, items) {
    if (!items || !items.length) return null;
    return el("div", {}, [el("h3", {}, [title]), el("ul", {}, items.map(function (x) {
      return el("li", {}, [typeof x === "string" ? x : JSON.stringify(x)]);
    }))]);
  }

  var SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, kids) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    (kids || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }
  function tip(text) { return svg("title", {}, [document.createTextNode(text)]); }
  function exact(n, unit) { return n.toLocaleString("en") + (unit ? " " + unit : ""); }
  function clip(text, px) {            // what fits in px at about 7 px a character
    var n = Math.floor(px / 7);
    return text.length <= n ? text : n > 3 ? text.slice(0, n - 1) + "\u2026" : "";
  }
  // A stable colour per name, so one type or function keeps its colour.
  function hue(name) {
    var h = 0;
    for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) % 360;
    return "hsl(" + h + ",55%,72%)";
  }

  var WIDTH = 1100;

  // A partition chart (icicle) of a flat tree: nodes[i].parent is the
  // 1-based index of i's parent, 0 for the root; width(n) sizes a block,
  // label(n) and hover(n) give its text.  Drawn from the focused node down.
  function partition(cls, nodes, width, label, hover) {
    var ROW = 20, kids = nodes.map(function () { return []; });
    nodes.forEach(function (n, i) { if (n.parent > 0) kids[n.parent - 1].push(i); });
    var crumbs = el("div", { "class": "crumbs" });
    var pic = svg("svg", { width: WIDTH, "class": "partition " + cls });
    function draw(focus) {
      while (pic.firstChild) pic.removeChild(pic.firstChild);
      while (crumbs.firstChild) crumbs.removeChild(crumbs.firstChild);
      var up = [];
      for (var a = focus; a >= 0; a = nodes[a].parent - 1) up.unshift(a);
      up.forEach(function (i, k) {
        var b = el("a", { href: "#", title: hover(nodes[i]) }, [nodes[i].name]);
        b.addEventListener("click", function (ev) { ev.preventDefault(); draw(i); });
        if (k) crumbs.appendChild(document.createTextNode(" \u203a "));
        crumbs.appendChild(b);
      });
      var depth = 0;
      (function lay(i, x, w, d) {
        if (w < 0.5) return;
        depth = Math.max(depth, d + 1);
        var n = nodes[i];
        var g = svg("g", { "class": "block", "data-node": i }, [
          svg("rect", { x: x, y: d * ROW, width: Math.max(w - 1, 0.5), height: ROW - 1,
                        fill: d ? hue(n.type || n.name) : "#ddd" }),
          tip(hover(n))]);
        var t = clip(label(n), w - 6);
        if (t) {
          g.appendChild(svg("text", { x: x + 3, y: d * ROW + 14 }, [document.createTextNode(t)]));
        }
        g.addEventListener("click", function () {   // the focused block zooms out
          draw(i === focus && n.parent ? n.parent - 1 : i);
        });
        pic.appendChild(g);
        var total = width(n), cx = x;
        kids[i].forEach(function (k) {
          var kw = total > 0 ? w * width(nodes[k]) / total : 0;
          lay(k, cx, kw, d + 1);
          cx += kw;
        });
      })(focus, 0, WIDTH, 0);
      pic.setAttribute("height", depth * ROW);
    }
    draw(0);
    return el("div", {}, [crumbs, pic]);
  }

  // A line chart: points, x(p) a number, series [{name, key, colour}] read
  // p[key]; fmtX/fmtY label the axes; one hover band per point (class
  // "point") whose title is hover(p).
  function lines(cls, points, x, series, fmtX, fmtY, hover) {
    var H = 200, L = 70, R = 30, T = 10, B = 24, PW = WIDTH - L - R, PH = H - T - B;
    var pic = svg("svg", { width: WIDTH, height: H, "class": "lines " + cls });
    var xs = points.map(x), x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y1 = 0;
    points.forEach(function (p) {
      series.forEach(function (s) {
        if (typeof p[s.key] === "number") y1 = Math.max(y1, p[s.key]);
      });
    });
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === 0) y1 = 1;
    function px(v) { return L + (v - x0) / (x1 - x0) * PW; }
    function py(v) { return T + PH - v / y1 * PH; }
    for (var k = 0; k <= 4; k++) {
      var yv = y1 * k / 4, xv = x0 + (x1 - x0) * k / 4;
      pic.appendChild(svg("line", { x1: L, x2: L + PW, y1: py(yv), y2: py(yv), "class": "grid" }));
      pic.appendChild(svg("text", { x: L - 4, y: py(yv) + 4, "text-anchor": "end" },
                          [document.createTextNode(fmtY(yv))]));
      pic.appendChild(svg("text", { x: px(xv), y: H - 6, "text-anchor": "middle" },
                          [document.createTextNode(fmtX(xv))]));
    }
    series.forEach(function (s) {
      var d = "";
      points.forEach(function (p, i) {
        if (typeof p[s.key] !== "number") return;
        d += (d ? "L" : "M") + px(xs[i]).toFixed(1) + "," + py(p[s.key]).toFixed(1);
      });
      if (d) {
        pic.appendChild(svg("path", { d: d, stroke: s.colour, fill: "none", "stroke-width": 1.5 }));
      }
    });
    points.forEach(function (p, i) {      // hover bands halfway to the neighbours
      var a = i ? (px(xs[i - 1]) + px(xs[i])) / 2 : L;
      var b = i + 1 < points.length ? (px(xs[i]) + px(xs[i + 1])) / 2 : L + PW;
      pic.appendChild(svg("rect", { x: a, y: T, width: Math.max(b - a, 0.5), height: PH,
                                    "class": "point" }, [tip(hover(p))]));
    });
    var legend = el("div", { "class": "legend" }, series.map(function (s) {
      return el("span", { style: "border-color:" + s.colour }, [s.name]);
    }));
    return el("div", {}, [legend, pic]);
  }

  var COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                 "#17becf"];

  function dominatorChart(d) {
    return partition("dominators", d.nodes, function (n) { return n.retained; },
      function (n) { return n.name + " " + human(n.retained); },
      function (n) {
        return n.name + "\nretained " + exact(n.retained, "bytes") + " (" + human(n.retained) +
          ")" +
          (n.parent ? "\nsize " + exact(n.size, "bytes") : "") +
          (n.addr !== undefined ? "\naddress 0x" + n.addr.toString(16) : "") +
          (n.site ? "\nallocated in " + n.site : "");
      });
  }

  function flameChart(f) {
    var bytes = f.unit === "bytes";
    function v(n) { return bytes ? human(n.value) : exact(n.value, f.unit); }
    var total = f.nodes[0].value;
    return partition("flame", f.nodes, function (n) { return n.value; },
      function (n) { return n.name + " " + v(n); },
      function (n) {
        return n.name + "\n" + f.sample_type + " " + exact(n.value, f.unit) + " (" +
          (total ? (100 * n.value / total).toFixed(1) : "0") + "%)";
      });
  }

  function gcCharts(g) {
    var pts = g.points;
    function t(p) { return p.t; }
    function secs(v) { return v.toFixed(v < 10 ? 2 : 0) + " s"; }
    function hover(p) {
      return "gc " + p.num + " @" + p.t + " s\nlive heap " + p.heap_live + " MB, heap at end " +
        p.heap_end + " MB, goal " + p.goal + " MB\npause " + p.pause_ms + " ms, GC CPU " +
        p.cpu_pct + "%";
    }
    return el("div", {}, [
      el("p", {}, [pts.length + " of " + g.rows + " GC cycles of " + g.source]),
      lines("gc-heap", pts, t, [{ name: "live heap (MB)", key: "heap_live", colour: COLOURS[0] },
        { name: "heap at end of cycle (MB)", key: "heap_end", colour: COLOURS[1] },
        { name: "goal (MB)", key: "goal", colour: COLOURS[2] }],
        secs, function (v) { return Math.round(v) + " MB"; }, hover),
      lines("gc-pause", pts, t,
        [{ name: "stop-the-world pause (ms)", key: "pause_ms", colour: COLOURS[3] }],
        secs, function (v) { return v.toFixed(2) + " ms"; }, hover),
      lines("gc-cpu", pts, t,
        [{ name: "GC CPU share since start (%)", key: "cpu_pct", colour: COLOURS[4] }],
        secs, function (v) { return Math.round(v) + "%"; }, hover)]);
  }

  function memstatsChart(m) {
    var byteFields = m.fields.filter(function (f) { return f !== "NumGC" && f !== "HeapObjects"; });
    var series = byteFields.map(function (f, i) {
      return { name: f, key: f, colour: COLOURS[i % COLOURS.length] };
    });
    return el("div", {}, [
      el("p", {}, [m.points.length + " snapshot(s), in time order (x: snapshot number)"]),
      lines("memstats", m.points, function (p) { return m.points.indexOf(p) + 1; }, series,
        function (v) { return "#" + Math.round(v); }, human,
        function (p) {
          var out = (p.time ? new Date(p.time * 1000).toISOString() : "no time") +
            (p.source ? " " + p.source : "");
          m.fields.forEach(function (f) {
            if (typeof p[f] !== "number") return;
            out += "\n" + f + " " + (byteFields.indexOf(f) < 0 ? exact(p[f]) :
              exact(p[f], "bytes") + " (" + human(p[f]) + ")");
          });
          return out;
        })]);
  }

  function goroutineTable(g) {
    return el("div", {}, [
      el("p", {}, [g.goroutines + " goroutines in " + g.groups + " groups by stack" +
        (g.rows.length < g.groups ? ", the largest " + g.rows.length + " shown" : "")]),
      table(["count", "states", "waiting (min)", "where", "created by"], g.rows.map(function (r) {
        return [String(r.count), r.states, String(r.wait_minutes),
          el("span", { title: r.stack }, [r.where]), r.created_by];
      }))]);
  }

  // "+1.5 MiB" with the exact signed count on hover.
  function delta(n, unit) {
    var sign = n > 0 ? "+" : n < 0 ? "\u2212" : "";
    var text = unit === "bytes" ? human(Math.abs(n)) : Math.abs(n).toLocaleString("en") +
      (unit ? " " + unit : "");
    return el("span", { title: (n > 0 ? "+" : "") + exact(n, unit), "class": "num" },
              [sign + text]);
  }

  // A horizontal bar of share (0..1) of the table's largest row.
  function bar(share, colour) {
    var w = Math.max(0, Math.min(1, share)) * 120;
    return el("span", { "class": "bar", style: "width:" + w.toFixed(1) + "px;background:" +
                        colour });
  }

  // A table of grouped rows {name, count, bytes [, sampled]}, largest first,
  // with a bar per row.
  function groupTable(cls, what, rows, colour) {
    if (!rows || !rows.length) return el("p", { "class": "missing" }, ["none"]);
    var max = rows[0].bytes || 1, withSampled = rows[0].sampled !== undefined;
    var head = [what, "objects", "bytes", ""];
    if (withSampled) head.push("sampled");
    var t = table(head, rows.map(function (r) {
      var row = [r.name, r.count.toLocaleString("en"), size(r.bytes), bar(r.bytes / max, colour)];
      if (withSampled) row.push(String(r.sampled));
      return row;
    }));
    t.setAttribute("class", "diff-table " + cls);
    return t;
  }

  // What grew: the dumps compared (the last three of the series by
  // memlab's method, else the last two), what was new, kept and garbage,
  // grouped; then each profile pair as go tool pprof -top -diff_base.
  function diffView(d) {
    var out = el("div", { "class": "diff" });
    function block(title, body) { return el("div", {}, [el("h4", {}, [title]), body]); }
    function row(blocks) { return el("div", { "class": "diff-row" }, blocks); }
    if (d.dumps) {
      var three = d.dumps.length === 3;
      out.appendChild(el("p", {}, [three ?
        "The last three of the series' " + d.series + " heap dumps by memlab's method: objects " +
        "new in the target that the final dump still holds are leak candidates; those gone " +
        "by the final one were the target's temporary garbage." :
        "The last two of the series' " + d.series + " heap dumps: objects new in the target."]));
      var roles = ["base", "target", "final"];
      out.appendChild(table(["dump", "file", "objects", "bytes", "change"], d.dumps.map(
        function (x, i) {
          return [roles[i], x.name, x.objects.toLocaleString("en"), size(x.bytes),
                  i ? delta(x.bytes - d.dumps[i - 1].bytes, "bytes") : ""];
        })));
      var parts = [["new in target", d.new], ["freed since base", d.freed]];
      if (d.kept) parts.push(["leak candidates", d.kept], ["temporary garbage", d.garbage]);
      out.appendChild(el("p", { "class": "diff-totals" }, [].concat.apply([], parts.map(
        function (p, i) {
          return [i ? "; " : "", p[0] + ": " + p[1].objects.toLocaleString("en") +
                  " objects, ", size(p[1].bytes)];
        }))));
      if (d.kept) {                       // new in target: kept against garbage
        var all = d.kept.bytes + d.garbage.bytes || 1, W = 600;
        var kw = W * d.kept.bytes / all;
        var split = [["leak candidates", d.kept.bytes, 0, kw, COLOURS[1]],
                     ["temporary garbage", d.garbage.bytes, kw, W - kw, "#bbb"]];
        out.appendChild(svg("svg", { width: W, height: 18, "class": "diff-split" },
          split.map(function (x) {
            var g = svg("g", {}, [svg("rect", { x: x[2], y: 0, width: x[3], height: 18,
                                                fill: x[4] }),
                                  tip(x[0] + " " + exact(x[1], "bytes"))]);
            var t = clip(x[0] + " " + human(x[1]), x[3] - 6);
            if (t) g.appendChild(svg("text", { x: x[2] + 3, y: 13 }, [document.createTextNode(t)]));
            return g;
          })));
      }
      var what = d.kept ? "leak candidates" : "new objects";
      out.appendChild(el("p", {}, ["sampled: objects whose own record names the site (the " +
        "memory profiler's samples); a row's other objects are the unsampled ones under the " +
        "same holder, shared among the sites sampled there by bytes."]));
      out.appendChild(row([
        block(what + " by allocation site", groupTable("diff-sites", "site", d.sites, COLOURS[1])),
        block(what + " by type", groupTable("diff-types", "type", d.types, COLOURS[1])),
        block(what + " by the dominator that holds them",
              groupTable("diff-retainers", "holder", d.retainers, COLOURS[1]))]));
      if (d.path) {
        out.appendChild(block("path from a root to the largest holder",
                              el("pre", {}, [d.path.join("\n")])));
      }
      if (d.kept) {
        out.appendChild(row([
          block("temporary garbage (new in target, gone in final) by allocation site",
                groupTable("diff-garbage-sites", "site", d.garbage_sites, "#999")),
          block("temporary garbage by type",
                groupTable("diff-garbage-types", "type", d.garbage_types, "#999"))]));
      }
    }
    out.appendChild(row((d.profiles || []).map(function (p) {
      var title = "profiles." + p.kind + " " + p.sample_type + ": " +
        p.base.replace(/^.*\//, "") + " \u2192 " + p.target.replace(/^.*\//, "");
      if (!p.rows.length) return block(title, el("p", { "class": "missing" }, ["no change"]));
      var max = 0;
      p.rows.forEach(function (r) { max = Math.max(max, Math.abs(r.flat)); });
      var t = table(["function", "flat", "", "cum"], p.rows.map(function (r) {
        return [r.name, delta(r.flat, p.unit), bar(max ? Math.abs(r.flat) / max : 0,
                r.flat < 0 ? COLOURS[2] : COLOURS[1]), delta(r.cum, p.unit)];
      }));
      t.setAttribute("class", "diff-table diff-profile");
      var smax = 0, stacks = p.stacks || [];
      stacks.forEach(function (r) { smax = Math.max(smax, Math.abs(r.delta)); });
      var st = table(["allocated at", "called from", "change", ""], stacks.map(function (r) {
        var frames = r.stack.split(" < ");
        return [el("span", { title: frames.join("\n") }, [r.leaf]), frames[1] || "",
                delta(r.delta, p.unit), bar(smax ? Math.abs(r.delta) / smax : 0,
                r.delta < 0 ? COLOURS[2] : COLOURS[1])];
      }));
      st.setAttribute("class", "diff-table diff-stacks");
      return el("div", {}, [block(title + " (as go tool pprof -top -diff_base)", t),
        block("by whole stack (the stack on hover)", st)]);
    })));
    return out;
  }
  // The charts of one case, each in its own section; what is missing says so.
  function charts(ch) {
    var out = el("div", { "class": "charts" });
    function part(title, data, draw, missing) {
      var body = data ? draw(data) : el("p", { "class": "missing" }, [missing]);
      out.appendChild(el("details", { open: "", "class": "chart" },
                         [el("summary", {}, [title]), body]));
    }
    part("dominator tree (retained size; click to zoom)", ch.dominators, dominatorChart,
         "no heap dump with roots in this case");
    part("heap profile by stack (click to zoom)", ch.flame, flameChart,
         "no heap profile in this case");
    part("GC timeline", ch.gc, gcCharts, "no gctrace log in this case");
    part("MemStats over time", ch.memstats, memstatsChart, "no MemStats in this case");
    part("goroutine groups", ch.goroutines, goroutineTable, "no goroutine dump in this case");
    if (ch.diff) part("what grew across the series (diff)", ch.diff, diffView);
    (ch.errors || []).forEach(function (e) {
      out.appendChild(el("p", { "class": "missing" }, ["chart data: " + e]));
    });
    return out;
  }

  function finding(f) {
    var ev = el("details", {}, [el("summary", {}, ["evidence"]),
      el("pre", {}, [JSON.stringify(f.evidence === undefined ? null : f.evidence, null, 2)])]);
    return el("div", { "class": "finding sev-" + f.severity }, [
      el("div", { "class": "head" }, [el("span", { "class": "sev" }, [f.severity]), " ",
        el("b", {}, [f.title || ""]), " ", el("span", { "class": "det" }, ["(" + f.detector + ")"])]),
      el("p", {}, [f.message || ""]),
      el("p", {}, ["bytes: ", size(f.bytes), typeof f.count === "number" ? "  count: " + f.count : "",
        f.site ? "  site: " + f.site : ""]),
      ev]);
  }

  function showCase(c) {
    var sec = el("section", { "class": "case" }, [el("h2", {}, ["case " + c.name])]);
    [["errors", c.errors], ["warnings", c.warnings], ["notes", c.notes]]
      .forEach(function (p) { var l = list(p[0], p[1]); if (l) sec.appendChild(l); });
    var f = c.findings || [];
    sec.appendChild(el("h3", {}, [f.length ? f.length + " finding(s)" : "no findings"]));
    f.forEach(function (x) { sec.appendChild(finding(x)); });
    if (c.charts) sec.appendChild(charts(c.charts));
    var inputs = el("details", {}, [el("summary", {}, [(c.inputs || []).length + " input(s)"]),
      table(["input", "kind", "size"], (c.inputs || []).map(function (i) {
        return [i.name, i.kind, size(i.size)];
      }))]);
    var sk = list("skipped", (c.skipped || []).map(function (x) { return x.input + ": " + x.reason; }));
    if (sk) inputs.appendChild(sk);
    sec.appendChild(inputs);
    var d = el("details", {}, [el("summary", {}, ["detectors"]),
      table(["detector", "status", "reason"], (c.detectors || []).map(function (x) {
        return [x.id, x.status, x.reason || ""];
      }))]);
    sec.appendChild(d);
    return sec;
  }

  var s = data.summary || {};
  root.appendChild(el("h1", {}, ["heapscope report"]));
  root.appendChild(el("p", { id: "hs-summary" }, [
    (s.cases || 0) + " case(s), " + (s.findings || 0) + " finding(s): " + (s.error || 0) +
    " error, " + (s.warning || 0) + " warning, " + (s.info || 0) + " info; pack " + (s.pack || "")]));
  data.cases.forEach(function (c) { root.appendChild(showCase(c)); });
})();
