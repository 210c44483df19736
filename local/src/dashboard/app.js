/* global document, window */
import { lineChart, perMinute } from "./charts.js";
// The local dashboard: polls the monitoring endpoints every 2 s and renders
// them as plain text into the page's tables. No framework, no build step.
//
// Dead letters are listed only when a DLQ's depth changes, after a replay, or
// every 15 s: SQS cannot show a message without receiving it, so each listing
// hides the messages for a moment, and listing every 2 s would keep getting
// in the way of replays.

const KEY_STORAGE = "alexandria.apiKey";
const REFRESH_MS = 2000;
const DEAD_LETTER_FALLBACK_MS = 15000;

const state = {
  correlationId: null,
  dlqSignature: null,
  deadLettersAt: 0,
  timer: null,
  busy: false,
};

const $ = (id) => document.getElementById(id);

class NeedsKey extends Error {}

async function call(path, init = {}) {
  const headers = { ...(init.headers || {}) };
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers["x-api-key"] = key;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) throw new NeedsKey("API key needed");
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${(body && body.error) || ""}`);
  return body;
}

/** Builds an element; children are nodes or text (always set as text, never parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "className") node.className = v;
    else if (k === "onClick") node.addEventListener("click", v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === undefined || c === null) continue;
    node.append(c instanceof window.Node ? c : String(c));
  }
  return node;
}

const num = (v) => el("td", { className: "num" }, v === null || v === undefined ? "–" : String(v));
const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "–");
// Ids here are UUIDv7 (time first): the tail tells them apart.
const short = (id) => (id ? String(id).slice(-8) : "–");

function fill(tableId, rows) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren(...rows);
  if (rows.length === 0) {
    const cols = $(tableId).querySelectorAll("thead th").length;
    body.append(el("tr", { className: "empty" }, el("td", { colspan: cols, className: "muted" }, "nothing")));
  }
}

function figures(listId, pairs) {
  $(listId).replaceChildren(...pairs.flatMap(([k, v, cls]) => [el("dt", {}, k), el("dd", { className: cls, "data-figure": k }, v === null || v === undefined ? "–" : String(v))]));
}

function renderQueues(q) {
  $("mode").textContent = `runtime ${q.runtime} · tasks ${q.taskMode}`;
  fill(
    "queues",
    q.items.map((r) =>
      el(
        "tr",
        { "data-task": r.task },
        el("td", {}, r.task),
        num(r.priority),
        num(r.visible),
        num(r.inFlight),
        num(r.delayed),
        el("td", { className: `num ${r.dlqDepth > 0 ? "bad" : ""}`, "data-dlq": r.dlqDepth }, r.dlqDepth === null ? "–" : String(r.dlqDepth)),
        num(r.oldestMessageAgeSeconds),
      ),
    ),
  );
  return q.items.map((r) => `${r.task}:${r.dlqDepth}`).join(",");
}

const mb = (bytes) => (bytes === null || bytes === undefined ? null : Math.round(bytes / 2 ** 20));
const share = (x) => (x === null || x === undefined ? null : `${Math.round(x * 100)}%`);

/** One row per process under `npm start`: the API process, then each worker process. */
function renderProcesses(w) {
  const row = (name, pid, state, restarts, f) =>
    el(
      "tr",
      { "data-process": name, "data-pid": pid ?? "" },
      el("td", {}, name),
      num(pid),
      el("td", { className: state === "ready" || state === "serving" ? "good" : "warn" }, state),
      num(restarts),
      num(f ? f.tasksDone : null),
      el("td", { className: `num ${f && f.tasksFailed > 0 ? "warn" : ""}` }, f ? String(f.tasksFailed) : "–"),
      num(f ? f.activeMessages : null),
      num(f ? share(f.busyShare) : null),
      num(f ? mb(f.rssBytes) : null),
      num(f ? mb(f.peakRssBytes) : null),
    );
  const rows = [];
  if (w.api) rows.push(row("api", w.api.pid, "serving", null, { ...w.api, tasksDone: null, tasksFailed: 0, activeMessages: null }));
  for (const p of w.workers || []) rows.push(row(`worker ${p.slot}`, p.pid, p.state, p.restarts, p.figures));
  fill("processes", rows);
}

function renderWorkers(w) {
  renderProcesses(w);
  const rows = [];
  const add = (proc, p) =>
    rows.push(
      el(
        "tr",
        { "data-task": p.task },
        el("td", {}, proc),
        el("td", {}, p.task),
        el("td", { className: p.alive ? "good" : "bad" }, p.alive ? "yes" : "no"),
        num(p.concurrency),
        num(p.activeMessages),
        num(p.processed),
        el("td", { className: `num ${p.failed > 0 ? "warn" : ""}` }, String(p.failed)),
        el("td", {}, time(p.lastHeartbeat)),
      ),
    );
  for (const p of w.pollers || []) add("this", p);
  for (const other of w.otherProcesses || []) for (const p of other.pollers) add(`${other.host}:${other.pid}`, p);
  for (const f of w.functions || []) {
    rows.push(el("tr", { "data-task": f.task }, el("td", {}, f.functionName), el("td", {}, f.task), el("td", {}, "–"), num(f.maxConcurrency), num(f.concurrentExecutions), num(f.invocations), num(f.errors), el("td", {}, `${f.windowMinutes} min`)));
  }
  if (rows.length === 0 && w.taskMode === "inline") rows.push(el("tr", {}, el("td", { colspan: 8, className: "muted" }, "inline mode: tasks run inside the requests")));
  fill("workers", rows);
}

function taskRow(t, withAttempt) {
  return el(
    "tr",
    { "data-task": t.task, "data-status": t.status, "data-resource": t.resourceId || "" },
    el("td", {}, time(t.finishedAt || t.startedAt)),
    el("td", {}, t.task),
    el("td", { title: t.resourceId || "" }, short(t.resourceId)),
    withAttempt ? num(t.attempt) : null,
    el("td", { className: `status-${t.status}` }, t.status),
    withAttempt ? num(t.durationMs === null ? null : Math.round(t.durationMs)) : null,
    el("td", { className: "text" }, t.error || t.detail || ""),
  );
}

function renderTasks(tasks, failures, summary) {
  fill("tasks", tasks.items.map((t) => taskRow(t, true)));
  fill("failures", failures.items.map((t) => taskRow(t, false)));
  fill(
    "summary",
    summary.items.map((s) => el("tr", {}, el("td", {}, s.task), el("td", { className: `status-${s.status}` }, s.status), num(s.count), num(s.p50Ms), num(s.p95Ms))),
  );
}

function renderEvents(ev) {
  $("events-source").textContent = ev.source === "redis" ? "(all processes, via Redis)" : "(this process)";
  fill(
    "events",
    ev.items.map((e) =>
      el(
        "tr",
        { "data-event": e.name },
        el("td", {}, time(e.timestamp)),
        el("td", {}, e.name),
        el("td", {}, `${e.priorityName} (${e.priority})`),
        el("td", {}, el("button", { type: "button", className: "link", title: e.correlationId, onClick: () => filterCorrelation(e.correlationId) }, short(e.correlationId))),
        el("td", { className: "text" }, el("code", {}, JSON.stringify(e.payload).slice(0, 200))),
      ),
    ),
  );
}

function renderFreshness(f) {
  figures("freshness", [
    ["lagging resources", f.laggingResources, f.laggingResources > 0 ? "warn" : "good"],
    // One figure per kind of derived data: the server's table names them (shared/src/domain/derived.ts).
    ...Object.entries(f.lagging).map(([kind, n]) => [f.labels?.[kind] ?? kind, n]),
    ["ingestion pending", f.ingestion.pending],
    ["ingestion failed", f.ingestion.failed, f.ingestion.failed > 0 ? "bad" : ""],
    ["resources", f.total],
  ]);
  fill(
    "lagging",
    f.oldest.map((r) => el("tr", {}, el("td", { title: r.id }, short(r.id)), el("td", {}, time(r.updatedAt)), num(r.lagSeconds), el("td", {}, r.lagging.join(", ")))),
  );
}

function renderCache(c, h) {
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  figures("cache", [
    ["layers", c.layers],
    ["hit rate", pct(c.hitRate)],
    ["hits", c.hits],
    ["misses", c.misses],
    ["invalidations", c.invalidations],
    ["operations", c.totalOperations],
    ["errors", c.errors, c.errors > 0 ? "warn" : ""],
    ["redis", !h.configured ? "not configured" : h.reachable ? `reachable, ${h.latencyMs} ms` : `unreachable: ${h.error || ""}`, h.configured && !h.reachable ? "bad" : ""],
  ]);
}

function renderDb(d) {
  figures("db", [
    ["health", d.health.ok ? `ok, ${d.health.latencyMs.toFixed(1)} ms` : `failing: ${d.health.error}`, d.health.ok ? "good" : "bad"],
    ["operations", d.store.operations],
    ["errors", d.store.errors, d.store.errors > 0 ? "warn" : ""],
    ["in flight / waiting", `${d.store.inFlight} / ${d.store.waiting} (max ${d.store.maxConcurrency})`],
    ["latency p50 / p95", `${fmt(d.store.latencyMs.p50)} / ${fmt(d.store.latencyMs.p95)} ms`],
    ["outbox pending", d.outbox.pending, d.outbox.pending > 0 ? "warn" : ""],
  ]);
}

// Times the system did less instead of failing; any count is worth a look (docs/operations.md).
function renderDegraded(d) {
  $("degraded-source").textContent = d.source === "cloudwatch" ? `(all functions, last ${d.windowMinutes} min)` : `(${d.processes.length} process${d.processes.length === 1 ? "" : "es"}, since start)`;
  figures("degraded", Object.entries(d.total).map(([mode, count]) => [mode, count, count > 0 ? "warn" : "good"]));
}

const fmt = (v) => (v === null || v === undefined ? "–" : Number(v).toFixed(1));

function renderDeadLetters(d) {
  const unreadable = (d.errors || []).map((e) => e.task);
  $("dlq-total").textContent = `(${d.total})${unreadable.length ? ` · could not read: ${unreadable.join(", ")}` : ""}`;
  $("replay-all").disabled = d.items.length === 0;
  fill(
    "dead-letters",
    d.items.map((m) =>
      el(
        "tr",
        { "data-message-id": m.messageId, "data-task": m.task, "data-resource": m.resourceId || "" },
        el("td", {}, time(m.failedAt || m.sentAt)),
        el("td", {}, m.task),
        el("td", {}, m.event || "?"),
        el("td", { title: m.resourceId || "" }, short(m.resourceId)),
        num(m.attempts),
        el("td", { className: "text" }, m.error || "(no reason recorded: moved by the queue's redrive policy)"),
        el("td", {}, el("button", { type: "button", className: "replay", onClick: () => replay({ messageId: m.messageId }) }, "Replay")),
      ),
    ),
  );
}

async function replay(body) {
  $("replay-result").textContent = "replaying…";
  try {
    const res = await call("/monitoring/dead-letters/replay", { method: "POST", body: JSON.stringify(body) });
    $("replay-result").textContent = `replayed ${res.replayed}`;
  } catch (e) {
    $("replay-result").textContent = `replay failed: ${e.message}`;
  }
  state.dlqSignature = null;
  await refresh();
}

/** The charts: per-minute counts from the store, the rest from the serving process's sampler. */
function renderCharts(series) {
  const to = Date.now();
  const from = to - series.windowMinutes * 60000;
  const at = (s) => Date.parse(s.t);
  lineChart($("chart-ingest"), [{ name: "added", points: perMinute(series.ingest, from, to) }], { from, to });
  lineChart(
    $("chart-completions"),
    Object.entries(series.completions).map(([task, byStatus]) => ({ name: task, points: perMinute(byStatus.succeeded || [], from, to) })),
    { from, to },
  );
  const tasks = [...new Set(series.samples.flatMap((s) => Object.keys(s.queues)))];
  const perTask = (field) => tasks.map((task) => ({ name: task, points: series.samples.map((s) => ({ x: at(s), y: s.queues[task] ? s.queues[task][field] : null })) }));
  lineChart($("chart-queues"), perTask("depth"), { from, to });
  lineChart($("chart-dlq"), perTask("dlq"), { from, to });
  lineChart(
    $("chart-lag"),
    [
      { name: "p50", points: series.samples.map((s) => ({ x: at(s), y: s.lagP50 })) },
      { name: "p99", points: series.samples.map((s) => ({ x: at(s), y: s.lagP99 })) },
    ],
    { from, to, unit: "s" },
  );
  lineChart($("chart-cache"), [{ name: "hit rate", points: series.samples.map((s) => ({ x: at(s), y: s.cacheHitRate })) }], { from, to, unit: "%", max: 1 });
  $("charts-note").textContent = series.sampleIntervalMs ? `(sampled every ${Math.round(series.sampleIntervalMs / 1000)} s by the API process since it started; ${series.samples.length} samples)` : "(no sampler in this process: per-minute counts only)";
}

function filterCorrelation(id) {
  state.correlationId = id;
  $("events-correlation").textContent = id;
  $("events-filter").hidden = false;
  void refresh();
}

async function refresh() {
  if (state.busy) return;
  state.busy = true;
  try {
    const eventsQuery = state.correlationId ? `?limit=200&correlationId=${encodeURIComponent(state.correlationId)}` : "?limit=25";
    const [queues, workers, tasks, failures, summary, events, freshness, cache, cacheHealth, db, degraded, series] = await Promise.all([
      call("/monitoring/queues"),
      call("/monitoring/workers"),
      call("/monitoring/tasks?limit=20"),
      call("/monitoring/tasks?status=failed&limit=10"),
      call("/monitoring/tasks/summary?windowMinutes=60"),
      call(`/monitoring/events${eventsQuery}`),
      call("/monitoring/freshness?limit=5"),
      call("/monitoring/cache"),
      call("/monitoring/cache/health"),
      call("/monitoring/db"),
      call("/monitoring/degraded"),
      call("/monitoring/series"),
    ]);
    const signature = renderQueues(queues);
    renderWorkers(workers);
    renderTasks(tasks, failures, summary);
    renderEvents(events);
    renderFreshness(freshness);
    renderCache(cache, cacheHealth);
    renderDb(db);
    renderDegraded(degraded);
    renderCharts(series);
    if (signature !== state.dlqSignature || Date.now() - state.deadLettersAt > DEAD_LETTER_FALLBACK_MS) {
      renderDeadLetters(await call("/monitoring/dead-letters?limit=50"));
      state.dlqSignature = signature;
      state.deadLettersAt = Date.now();
    }
    $("refreshed").textContent = `updated ${new Date().toLocaleTimeString()}`;
    $("refreshed").dataset.count = String(Number($("refreshed").dataset.count || 0) + 1);
    $("problem").hidden = true;
    $("key-form").hidden = true;
  } catch (e) {
    if (e instanceof NeedsKey) {
      $("key-form").hidden = false;
      $("problem").textContent = sessionStorage.getItem(KEY_STORAGE) ? "the API key was refused" : "an API key is needed";
    } else {
      $("problem").textContent = e.message;
    }
    $("problem").hidden = false;
  } finally {
    state.busy = false;
  }
}

function schedule() {
  window.clearTimeout(state.timer);
  if (!$("live").checked) return;
  state.timer = window.setTimeout(async () => {
    await refresh();
    schedule();
  }, REFRESH_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  $("key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, $("key").value);
    $("key").value = "";
    state.dlqSignature = null;
    void refresh();
  });
  $("replay-all").addEventListener("click", () => replay({}));
  $("clear-correlation").addEventListener("click", () => {
    state.correlationId = null;
    $("events-filter").hidden = true;
    void refresh();
  });
  $("live").addEventListener("change", schedule);
  void refresh().then(schedule);
});
