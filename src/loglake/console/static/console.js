// The loglake console: one page, six views, plain JS. Every call goes to this server's /api with the
// token cookie set when the printed URL was opened; long calls show a Cancel button (server-side interrupt).
"use strict";
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);
const fmt = (n) => Number(n).toLocaleString("en-US");
// A field's value as text: nested objects and lists as JSON (not "[object Object]"); esc() still applies.
const fieldText = (v) => (v !== null && typeof v === "object" ? JSON.stringify(v) : v);
const LEVEL_COLORS = {FATAL: "#7a0000", CRITICAL: "#7a0000", ERROR: "#d62828", WARN: "#f39c12", WARNING: "#f39c12",
  NOTICE: "#2a9d8f", INFO: "#3a86ff", DEBUG: "#8d99ae", TRACE: "#b8c0cc", NONE: "#c7ccd6"};
let range = {since: "", until: ""};
let current = null;

function rangeParams() {
  const p = new URLSearchParams();
  if (range.since) p.set("since", range.since);
  if (range.until) p.set("until", range.until);
  return p;
}

async function call(path, options = {}) {
  // One request with progress and cancel: the server interrupts the request id's engine.
  const rid = Math.random().toString(36).slice(2);
  const controller = new AbortController();
  const started = performance.now();
  const sep = path.includes("?") ? "&" : "?";
  $("error").hidden = true;
  $("busy").hidden = false;
  const tick = setInterval(() => { $("busy-text").textContent = `working… ${((performance.now() - started) / 1000).toFixed(1)} s`; }, 100);
  $("cancel").onclick = () => { fetch(`/api/cancel/${rid}`, {method: "POST"}); controller.abort(); };
  try {
    const response = await fetch(`${path}${sep}rid=${rid}`, {...options, signal: controller.signal,
      headers: {"content-type": "application/json"}});
    const body = await response.json();
    if (body && body.error) throw new Error(body.error);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return body;
  } catch (error) {
    $("error").textContent = error.name === "AbortError" ? "cancelled" : `error: ${error.message}`;
    $("error").hidden = false;
    throw error;
  } finally {
    clearInterval(tick);
    $("busy").hidden = true;
  }
}

function table(columns, rows, cell = (v) => esc(v)) {
  const head = "<tr>" + columns.map((c) => `<th>${esc(c)}</th>`).join("") + "</tr>";
  const body = rows.map((r) => "<tr>" + r.map((v, i) => `<td${typeof v === "number" ? ' class="num"' : ""}>${cell(v, i)}</td>`).join("") + "</tr>").join("");
  return `<table class="grid">${head}${body}</table>`;
}

// Query
let savedQueries = [];
async function loadSaved() {
  savedQueries = await call("/api/saved");
  $("saved").innerHTML = '<option value="">— write SQL —</option>' + savedQueries.map((q) => `<option value="${esc(q.name)}">${esc(q.name)}</option>`).join("");
}
function chosenSaved() { return savedQueries.find((q) => q.name === $("saved").value); }
$("saved").onchange = () => {
  const q = chosenSaved();
  $("saved-description").textContent = q ? q.description : "";
  $("sql").disabled = Boolean(q);
  if (q) $("sql").value = q.sql;
  const kinds = {integer: "number", date: "date"};
  $("params").innerHTML = q ? q.params.map((p) => `<label title="${esc(p.help)}">${esc(p.name)}
    <input name="${esc(p.name)}" type="${kinds[p.kind] || "text"}" value="${esc(p.default)}"> <small>${esc(p.kind)}</small></label>`).join(" ") : "";
};
function queryBody() {
  const q = chosenSaved();
  const params = {};
  if (q) for (const input of $("params").querySelectorAll("input")) params[input.name] = input.value;
  return JSON.stringify(q ? {saved: q.name, params, ...range} : {sql: $("sql").value, ...range});
}
$("explain").onclick = async () => {
  const plan = await call("/api/explain", {method: "POST", body: queryBody()});
  $("plan").textContent = plan.plans.map((p) => `${p.table}: ${p.partitions.length} partitions, ${p.files.length} of ${p.table_files} files, ${fmt(p.bytes)} of ${fmt(p.table_bytes)} bytes`).join("; ")
    + ` — on Athena about $${plan.athena_usd.toFixed(6)}`;
};
$("run").onclick = async () => {
  const result = await call("/api/query", {method: "POST", body: queryBody()});
  showResult(result);
};
function showResult(result) {
  current = result;
  const last = Math.min(result.offset + result.rows.length, result.total);
  const stats = result.stats && result.stats.seconds !== undefined ? ` in ${result.stats.seconds} s` : "";
  $("result").innerHTML = `<div class="row"><span id="result-summary">${fmt(result.total)} rows${stats}; showing ${fmt(result.total ? result.offset + 1 : 0)}–${fmt(last)}</span>
    <button id="prev" ${result.offset === 0 ? "disabled" : ""}>◀ previous</button>
    <button id="next" ${last >= result.total ? "disabled" : ""}>next ▶</button>
    <a href="/api/result/${result.id}/download.csv" download>CSV</a> <a href="/api/result/${result.id}/download.parquet" download>Parquet</a></div>`
    + table(result.columns, result.rows);
  $("prev").onclick = () => page(result.offset - 100);
  $("next").onclick = () => page(result.offset + 100);
}
async function page(offset) {
  const next = await call(`/api/result/${current.id}?offset=${Math.max(0, offset)}`);
  showResult({...current, ...next});
}

// Events over time: stacked SVG bars; a drag selects a span and zooms the range to it.
async function drawHistogram() {
  const p = rangeParams();
  if ($("filter").value) p.set("q", $("filter").value);
  const h = await call(`/api/histogram?${p}`);
  $("histogram-total").textContent = `${fmt(h.total)} events` + (h.bucket_seconds ? `, one bar = ${h.bucket_seconds} s` : "");
  if (!h.bars.length) { $("histogram").innerHTML = "<p>no events in this range</p>"; return; }
  const W = 960, H = 260, left = 50, bottom = 20;
  const t0 = Date.parse(h.since), t1 = Date.parse(h.until);
  const x = (t) => left + (t - t0) / (t1 - t0) * (W - left);
  const max = Math.max(...h.bars.map((b) => b.total));
  const y = (n) => (H - bottom) * n / max;
  const bw = Math.max(1, x(t0 + h.bucket_seconds * 1000) - x(t0) - 1);
  let svg = `<svg id="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`;
  for (const bar of h.bars) {
    const bx = x(Date.parse(bar.start));
    let base = H - bottom;
    svg += `<g class="bar" data-start="${esc(bar.start)}" data-total="${bar.total}"><title>${esc(bar.start)}: ${fmt(bar.total)}</title>`;
    for (const level of h.levels) {
      const n = bar.counts[level] || 0;
      if (!n) continue;
      base -= y(n);
      svg += `<rect data-level="${esc(level)}" data-count="${n}" x="${bx.toFixed(1)}" y="${base.toFixed(1)}" width="${bw.toFixed(1)}" height="${y(n).toFixed(1)}" fill="${LEVEL_COLORS[level] || "#6c757d"}"/>`;
    }
    svg += "</g>";
  }
  svg += `<text x="2" y="12">${fmt(max)}</text><text x="${left}" y="${H - 4}">${esc(h.since)}</text><text x="${W - 160}" y="${H - 4}">${esc(h.until)}</text>`;
  svg += `<rect id="selection" y="0" height="${H - bottom}" width="0" fill="rgba(58,134,255,.2)"/></svg>`;
  const legend = h.levels.map((l) => `<span><i style="background:${LEVEL_COLORS[l] || "#6c757d"}"></i>${esc(l)}</span>`).join("");
  $("histogram").innerHTML = svg + `<div class="legend">${legend}</div>`;
  const chart = $("chart");
  const at = (event) => event.clientX - chart.getBoundingClientRect().left;
  const time = (px) => new Date(t0 + Math.min(Math.max(px - left, 0), W - left) / (W - left) * (t1 - t0));
  let from = null;
  chart.onmousedown = (event) => { from = at(event); event.preventDefault(); };
  chart.onmousemove = (event) => {
    if (from === null) return;
    const to = at(event);
    $("selection").setAttribute("x", Math.min(from, to));
    $("selection").setAttribute("width", Math.abs(to - from));
  };
  chart.onmouseup = (event) => {
    const to = at(event);
    if (from === null || Math.abs(to - from) < 3) { from = null; return; }
    const [a, b] = [time(Math.min(from, to)), time(Math.max(from, to))];
    from = null;
    setRange(a.toISOString(), b.toISOString());
    drawHistogram();
  };
}
$("draw").onclick = drawHistogram;

// Search: highlighted matches; a click expands the event's fields and its neighbours in the stream.
function highlight(text, spans) {
  // The server's spans count code points (Python); JS strings count UTF-16 units, so slice code points.
  const chars = Array.from(text);
  const part = (a, b) => esc(chars.slice(a, b).join(""));
  let out = "", at = 0;
  for (const [a, b] of spans) { out += part(at, a) + `<mark>${part(a, b)}</mark>`; at = b; }
  return out + part(at);
}
async function find() {
  const p = rangeParams();
  p.set("q", $("pattern").value);
  if ($("ignore-case").checked) p.set("i", "1");
  const found = await call(`/api/search?${p}`);
  $("search-summary").textContent = `${fmt(found.matches)} matches, newest ${fmt(found.shown)} shown; read ${found.plan.files_read} of ${found.plan.files_in_range} files in ${found.seconds} s`;
  const rows = found.rows.map((r, i) => `<tr class="match" data-row="${i}"><td>${esc(r.timestamp)}</td><td>${esc(r.table)}</td><td>${esc(r.log_group)}</td><td>${esc(r.log_stream)}</td><td class="msg">${highlight(String(r.message ?? ""), r.spans)}</td></tr>`);
  $("matches").innerHTML = "<tr><th>timestamp</th><th>table</th><th>log group</th><th>stream</th><th>message</th></tr>" + rows.join("");
  for (const tr of $("matches").querySelectorAll("tr.match")) tr.onclick = () => expand(tr, found.rows[Number(tr.dataset.row)]);
}
async function expand(tr, row) {
  if (tr.nextElementSibling && tr.nextElementSibling.classList.contains("detail")) { tr.nextElementSibling.remove(); return; }
  const p = new URLSearchParams({table: row.table, log_group: row.log_group, log_stream: row.log_stream ?? "", timestamp: row.timestamp, message: row.message ?? ""});
  const e = await call(`/api/event?${p}`);
  const fields = Object.entries(e.fields).map(([k, v]) => [k, fieldText(v)]);
  const around = [...e.before.map((r) => ({...r, self: false})), {...e.fields, self: true}, ...e.after.map((r) => ({...r, self: false}))];
  const lines = around.map((r) => `<tr class="${r.self ? "self" : "neighbour"}"><td>${esc(r.timestamp)}</td><td>${esc(r.level ?? "")}</td><td class="msg">${esc(r.message)}</td></tr>`).join("");
  const detail = document.createElement("tr");
  detail.className = "detail";
  detail.innerHTML = `<td colspan="5"><b>Fields</b>${table(["field", "value"], fields)}<b>In the same stream</b><table class="grid neighbours">${lines}</table></td>`;
  tr.after(detail);
}
$("find").onclick = find;
$("pattern").onkeydown = (event) => { if (event.key === "Enter") find(); };

// Tables
async function showTables() {
  const tables = await call("/api/tables");
  $("tables").innerHTML = tables.map((t) => `<h3>${esc(t.name)}</h3><p>formats: ${esc(t.formats.join(", "))}; registry version ${t.version}</p>`
    + table(["column", "type", "source", "history"], t.columns.map((c) => [c.name, c.type, c.source, c.history.map((h) => Object.values(h).join(" ")).join("; ")]))
    + `<details><summary>Athena DDL</summary><p class="hint">${esc(t.ddl_note)}</p><pre>${esc(t.ddl)}</pre></details>`).join("") || "<p>no tables yet</p>";
}

// Quarantine
async function showQuarantine(note = "") {
  const q = await call(`/api/quarantine?${rangeParams()}`);
  const rows = q.counts.map((c, i) => `<tr><td>${esc(c.reason)}</td><td>${esc(c.log_group)}</td><td class="num">${fmt(c.count)}</td><td><button class="redrive" data-i="${i}">Re-drive</button></td></tr>`).join("");
  $("quarantine").innerHTML = `<p id="quarantine-note">${esc(note)}</p><p><b id="quarantine-total">${fmt(q.total)}</b> quarantined records</p>`
    + `<table class="grid" id="quarantine-counts"><tr><th>reason</th><th>log group</th><th>records</th><th></th></tr>${rows}</table>`
    + "<p class=\"hint\">Re-drive re-runs the ETL, with the configuration as it is now, on the raw objects that hold these records (as <code>loglake etl --force</code>).</p>"
    + "<h3>Newest samples</h3>" + table(["reason", "log group", "timestamp", "message", "raw object"], q.samples.map((s) => [s.reason, s.log_group, new Date(Number(s.timestamp)).toISOString(), s.message, s.raw_object]));
  for (const button of $("quarantine").querySelectorAll("button.redrive")) {
    button.onclick = async () => {
      const c = q.counts[Number(button.dataset.i)];
      const done = await call("/api/redrive", {method: "POST", body: JSON.stringify({reason: c.reason, log_group: c.log_group})});
      const failures = done.failures.length ? `; failed: ${done.failures.join("; ")}` : "";
      showQuarantine(`re-drove ${done.raw_objects} raw objects: ${fmt(done.before)} → ${fmt(done.after)} quarantined${failures}`);
    };
  }
}

// Health
const ago = (s) => s === null ? "—" : s < 120 ? `${s.toFixed(0)} s` : s < 7200 ? `${(s / 60).toFixed(0)} min` : `${(s / 3600).toFixed(1)} h`;
async function showHealth() {
  const h = await call("/api/health");
  const c = h.conservation;
  const broken = c.objects.filter((o) => o.status !== "ok");
  $("health").innerHTML = `<h3>Conservation</h3><p id="conservation"><span class="${c.ok ? "ok" : "bad"}">${c.ok ? "holds" : "DOES NOT HOLD"}</span>:
    ${fmt(c.objects.length)} raw objects, ${fmt(c.raw_events)} raw events = ${fmt(c.clean_events)} clean + ${fmt(c.quarantined_events)} quarantined</p>`
    + (broken.length ? table(["raw object", "status", "raw", "clean", "quarantined"], broken.slice(0, 50).map((o) => [o.raw_object, o.status, o.raw_events, o.clean_events, o.quarantined_events])) : "")
    + `<h3>Pending raw objects: <span id="pending">${fmt(h.pending_raw_objects)}</span></h3>` + (h.pending.length ? `<pre>${esc(h.pending.slice(0, 20).join("\n"))}</pre><p class="hint">run <code>loglake etl</code> to process them</p>` : "")
    + "<h3>Sources</h3>" + table(["source", "log group", "raw objects", "pending", "newest event", "lag"], h.sources.map((s) => [s.source, s.log_group, s.raw_objects, s.pending, s.newest_event ?? "—", ago(s.lag_seconds)]))
    + "<h3>Recent runs</h3>" + table(["stage", "started", "seconds", "ok", "error"], Object.entries(h.runs).map(([k, r]) => [k, r.started, r.seconds, r.ok ? "yes" : "no", r.error || ""]))
    + `<h3>Quarantine, last 24 h</h3><p>${fmt(h.quarantine.quarantined_events)} of ${fmt(h.quarantine.quarantined_events + h.quarantine.clean_events)} events (${(100 * h.quarantine.rate).toFixed(2)} %)</p>`;
}

// Navigation and the shared time range
const pages = {query: () => savedQueries.length || loadSaved(), events: drawHistogram, search: () => $("pattern").value && find(),
  tables: showTables, quarantine: () => showQuarantine(), health: showHealth};
function show() {
  const name = (location.hash || "#events").slice(1);
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== `page-${name}`;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.page === name);
  (pages[name] || (() => {}))();
}
function setRange(since, until) {
  range = {since, until};
  $("range").value = "custom";
  $("custom").hidden = false;
  $("since").value = since;
  $("until").value = until;
}
$("range").onchange = () => {
  const value = $("range").value;
  $("custom").hidden = value !== "custom";
  if (value === "custom") return;
  range = {since: value, until: ""};
  show();
};
$("apply-range").onclick = () => { range = {since: $("since").value, until: $("until").value}; show(); };
window.onhashchange = show;
call("/api/info").then((i) => { $("lake").textContent = `${i.lake} (${i.engine})`; });
show();
