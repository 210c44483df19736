/* global document, location, window */
// A resource's page: its metadata, stages (with a retry for a failed one),
// categories, tags, citations both ways and similar documents. Everything
// comes from the JSON API on the same paths and is rendered as text.
import { $, ApiError, call, el, resourceLink, sourceOf, stagesOf, withKey } from "./common.js";

const id = decodeURIComponent(location.pathname.split("/")[2] || "");
const api = (suffix = "") => `/resources/${encodeURIComponent(id)}${suffix}`;

function fail(e) {
  $("problem").textContent = e instanceof ApiError && e.status === 404 ? `no resource ${id}` : `could not load: ${e.message}`;
  $("problem").hidden = false;
}

function list(target, items, render, empty = "none") {
  $(target).replaceChildren(...(items.length ? items.map(render) : [el("li", { className: "muted empty" }, empty)]));
}

function renderResource(r) {
  document.title = `Neo Alexandria · ${r.title || r.id}`;
  $("title").textContent = r.title || "(untitled)";
  $("source").replaceChildren(sourceOf({ url: r.url, path: null }));
  $("description").textContent = r.description || "";
  const pairs = [
    ["id", r.id],
    ["authors", r.authors.length ? r.authors.join("; ") : "–"],
    ["type", r.contentType || "–"],
    ["language", r.language || "–"],
    ["source", r.source || "–"],
    ["quality", r.quality.score === null ? "–" : r.quality.score.toFixed(2)],
    ...Object.entries(r.quality.dimensions || {}).map(([k, v]) => [`  ${k}`, Number(v).toFixed(2)]),
    ["length", `${r.contentLength} characters`],
    ["added", new Date(r.createdAt).toLocaleString()],
    ["updated", new Date(r.updatedAt).toLocaleString()],
  ];
  $("meta").replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { "data-field": k.trim() }, v)]));
  list("categories", r.categories, (c) => el("li", { "data-category": c.category }, c.category, el("span", { className: "muted" }, ` ${c.source}, ${(c.confidence * 100).toFixed(0)} %`)));
}

function renderStages(status) {
  $("up-to-date").textContent = status.upToDate ? "· current" : "· not current";
  $("up-to-date").dataset.current = String(Boolean(status.upToDate));
  const stages = stagesOf(status);
  const rows = stages.map((s) =>
    el(
      "tr",
      { "data-stage": s.name, "data-state": s.state },
      el("td", {}, s.name),
      el("td", { className: `stage-${s.state}` }, s.state),
      el("td", { className: "num" }, s.revision ?? "–"),
      el("td", { className: "num" }, s.attempts ?? "–"),
      el("td", { className: "text" }, s.error || ""),
      el("td", {}, s.state === "failed" ? el("button", { type: "button", className: "retry", onClick: () => retry(s.name) }, "Retry") : null),
    ),
  );
  $("stages").querySelector("tbody").replaceChildren(...rows);
}

/**
 * Retries one stage: through `POST /resources/{id}/reprocess` where the API
 * has it, else by replaying this resource's dead letters (the path that
 * exists today). Both need the API key.
 */
async function retry(stage) {
  $("retry-result").textContent = `retrying ${stage}…`;
  await withKey(
    async () => {
      try {
        await call(api("/reprocess"), { method: "POST", body: JSON.stringify({ stages: [stage] }) });
        $("retry-result").textContent = `${stage} queued again`;
        return;
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404 && /no route/.test(e.message))) throw e;
      }
      const letters = await call("/monitoring/dead-letters?limit=1000");
      const mine = letters.items.filter((m) => m.resourceId === id);
      for (const m of mine) await call("/monitoring/dead-letters/replay", { method: "POST", body: JSON.stringify({ messageId: m.messageId }) });
      $("retry-result").textContent = mine.length ? `replayed ${mine.length} dead letter${mine.length === 1 ? "" : "s"}` : "nothing to retry: no dead letter for this resource";
    },
    (e) => ($("retry-result").textContent = `retry failed: ${e.message}`),
  );
  void refreshStatus();
}

/** Texts up to this many characters show open; longer ones start collapsed. */
const OPEN_UP_TO = 1500;

function renderContent(c) {
  const text = String(c.content ?? "");
  // textContent: the stored text is hostile and must show as the characters it is.
  $("content").textContent = text;
  $("content-size").textContent = `(${text.length} characters)`;
  $("content-details").open = text.length <= OPEN_UP_TO;
  $("content-details").dataset.long = String(text.length > OPEN_UP_TO);
}

function renderNeighbors(n) {
  list("cites", n.cites, (c) => el("li", {}, c.resourceId ? resourceLink(c.resourceId, c.title || c.value) : el("span", {}, c.value), el("span", { className: "muted" }, ` ${c.kind}`)));
  list("cited-by", n.citedBy, (c) => el("li", {}, resourceLink(c.resourceId, c.title || c.resourceId), el("span", { className: "muted" }, ` ${c.kind}`)));
}

function renderSimilar(s) {
  list("similar", s.items, (i) => el("li", { "data-id": i.id }, resourceLink(i.id, i.title || "(untitled)"), el("span", { className: "muted" }, ` ${Number(i.score).toFixed(3)}`)));
}

// ---------------------------------------------------------------- tags

function renderTags(t) {
  list("tags", t.tags, (tag) =>
    el("li", { "data-tag": tag.name }, tag.name, el("span", { className: "muted" }, ` ${tag.source}`), " ", el("button", { type: "button", className: "link remove", onClick: () => setTags(t.tags.filter((x) => x.name !== tag.name).map((x) => x.name)) }, "remove")),
  );
  list(
    "suggestions",
    t.suggestions,
    (s) =>
      el(
        "li",
        { "data-suggestion": s.name },
        s.name,
        el("span", { className: "muted" }, ` ${(s.confidence * 100).toFixed(0)} %`),
        " ",
        el("button", { type: "button", className: "accept", onClick: () => decide(s.name, "accept") }, "accept"),
        " ",
        el("button", { type: "button", className: "reject", onClick: () => decide(s.name, "reject") }, "reject"),
      ),
    "no suggestions",
  );
}

async function loadTags() {
  try {
    renderTags(await call(api("/tags")));
  } catch (e) {
    // Without the tags API (an older server) the section stays empty.
    if (!(e instanceof ApiError && e.status === 404)) $("tag-result").textContent = e.message;
  }
}

async function setTags(names) {
  await withKey(
    async () => {
      renderTags(await call(api("/tags"), { method: "PUT", body: JSON.stringify({ tags: names }) }));
      $("tag-result").textContent = "saved";
    },
    (e) => ($("tag-result").textContent = `could not save: ${e.message}`),
  );
}

async function decide(name, verdict) {
  await withKey(
    async () => {
      renderTags(await call(api(`/tags/${encodeURIComponent(name)}/${verdict}`), { method: "POST" }));
      $("tag-result").textContent = `${verdict}ed ${name}`;
    },
    (e) => ($("tag-result").textContent = `could not ${verdict}: ${e.message}`),
  );
}

// ---------------------------------------------------------------- loading

let statusTimer = null;

async function refreshStatus() {
  window.clearTimeout(statusTimer);
  try {
    const status = await call(api("/status"));
    renderStages(status);
    // Follow a resource that is still being worked on.
    if (!status.upToDate) statusTimer = window.setTimeout(refreshStatus, 1500);
  } catch (e) {
    $("retry-result").textContent = e.message;
  }
}

async function load() {
  try {
    const r = await call(api());
    renderResource(r);
    $("resource").hidden = false;
  } catch (e) {
    fail(e);
    return;
  }
  await Promise.all([
    refreshStatus(),
    loadTags(),
    call(api("/content")).then(renderContent, (e) => ($("content").textContent = `unavailable: ${e.message}`)),
    call(api("/neighbors")).then(renderNeighbors, () => list("cites", [], () => null, "unavailable")),
    call(api("/similar?limit=8")).then(renderSimilar, () => list("similar", [], () => null, "unavailable")),
  ]);
}

$("tag-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const name = $("tag-name").value.trim();
  if (!name) return;
  $("tag-name").value = "";
  const current = [...document.querySelectorAll("#tags li[data-tag]")].map((li) => li.dataset.tag);
  void setTags([...new Set([...current, name])]);
});
void load();
