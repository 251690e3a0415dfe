// The page of `heapscope check --format html` (core/report/html.c embeds it
// after the run's JSON): a summary of each case and its findings with their
// evidence.  Plain DOM, no libraries, nothing loaded from the network.
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
