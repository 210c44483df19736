/* global document, window, FileReader, history, location */
// The search page: query, mode, facet filters and pages live in the URL's
// query string (so a search can be linked and reloaded); adding URLs or files
// posts them to the API and follows each until every stage is current.
import { $, ApiError, call, el, highlighted, resourceLink, sleep, sourceOf, stagesOf, withKey } from "./common.js";

const PAGE_SIZE = 10;
/** Facets the API counts, and the filter parameter each maps to (the same name). */
const FACET_LABELS = { category: "Category", author: "Author", type: "Type", tag: "Tag" };
const FILTERS = Object.keys(FACET_LABELS);

function readState() {
  const p = new URLSearchParams(location.search);
  const mode = ["keyword", "semantic", "hybrid"].includes(p.get("mode")) ? p.get("mode") : "hybrid";
  const filters = {};
  for (const f of FILTERS) if (p.get(f)) filters[f] = p.get(f);
  return { q: p.get("q") || "", mode, page: Math.max(0, Number(p.get("page")) || 0), filters };
}

function writeState(s) {
  const p = new URLSearchParams();
  if (s.q) p.set("q", s.q);
  p.set("mode", s.mode);
  for (const [k, v] of Object.entries(s.filters)) p.set(k, v);
  if (s.page) p.set("page", String(s.page));
  history.pushState(null, "", `/?${p}`);
}

let state = readState();

async function runSearch() {
  $("q").value = state.q;
  for (const r of document.querySelectorAll('input[name="mode"]')) r.checked = r.value === state.mode;
  renderActiveFilters();
  if (!state.q.trim()) {
    $("results").replaceChildren();
    $("facets").replaceChildren();
    $("summary").textContent = "Type a query to search.";
    $("pages").hidden = true;
    return;
  }
  const p = new URLSearchParams({ q: state.q, mode: state.mode, limit: String(PAGE_SIZE), offset: String(state.page * PAGE_SIZE), facets: "true" });
  for (const [k, v] of Object.entries(state.filters)) p.set(k, v);
  $("summary").textContent = "searching…";
  $("problem").hidden = true;
  try {
    const answer = await call(`/search?${p}`);
    renderResults(answer);
  } catch (e) {
    $("problem").textContent = e instanceof ApiError ? `search failed: ${e.message}` : String(e.message || e);
    $("problem").hidden = false;
    $("summary").textContent = "";
  }
}

function renderResults(answer) {
  const first = state.page * PAGE_SIZE;
  $("summary").textContent = answer.total === 0 ? "No results." : `${answer.total} result${answer.total === 1 ? "" : "s"} · showing ${first + 1}–${first + answer.results.length}`;
  $("summary").dataset.total = String(answer.total);
  $("results").replaceChildren(
    ...answer.results.map((hit) =>
      el(
        "li",
        { className: "hit", "data-id": hit.id },
        el("h3", {}, resourceLink(hit.id, hit.title || "(untitled)")),
        el("p", { className: "snippet" }, highlighted(hit.snippet)),
        el("p", { className: "meta" }, sourceOf(hit), el("span", { className: "muted score" }, ` · score ${Number(hit.score).toFixed(3)}`)),
      ),
    ),
  );
  const pages = Math.max(1, Math.ceil(answer.total / PAGE_SIZE));
  $("pages").hidden = answer.total <= PAGE_SIZE;
  $("page-info").textContent = `page ${state.page + 1} of ${pages}`;
  $("prev").disabled = state.page === 0;
  $("next").disabled = state.page + 1 >= pages;
  renderFacets(answer.facets || {});
}

function renderFacets(facets) {
  const groups = [];
  for (const [name, values] of Object.entries(facets)) {
    if (!Array.isArray(values) || values.length === 0) continue;
    groups.push(
      el(
        "section",
        { className: "facet", "data-facet": name },
        el("h2", {}, FACET_LABELS[name] || name),
        el(
          "ul",
          {},
          values.map((v) =>
            el(
              "li",
              {},
              el(
                "button",
                { type: "button", className: `link ${state.filters[name] === v.value ? "active" : ""}`, "data-value": v.value, onClick: () => setFilter(name, state.filters[name] === v.value ? null : v.value) },
                v.value,
              ),
              el("span", { className: "muted" }, ` ${v.count}`),
            ),
          ),
        ),
      ),
    );
  }
  $("facets").replaceChildren(...groups);
}

function renderActiveFilters() {
  const chips = Object.entries(state.filters).map(([k, v]) =>
    el("button", { type: "button", className: "chip", "data-filter": k, title: "remove this filter", onClick: () => setFilter(k, null) }, `${FACET_LABELS[k] || k}: ${v} ×`),
  );
  $("active-filters").replaceChildren(...chips);
}

function setFilter(name, value) {
  const filters = { ...state.filters };
  if (value === null) delete filters[name];
  else filters[name] = value;
  go({ ...state, filters, page: 0 });
}

function go(next) {
  state = next;
  writeState(state);
  void runSearch();
}

// ---------------------------------------------------------------- adding documents

const TYPES = { md: "text/markdown", markdown: "text/markdown", html: "text/html", htm: "text/html", pdf: "application/pdf", txt: "text/plain", text: "text/plain" };
const READABLE = "text, Markdown, HTML or PDF";

/**
 * The content type a file is sent as, or null when the library cannot read it
 * (an image, an archive, an office document): by extension first, then by the
 * type the browser gives; a file with neither is read as text and refused if
 * it turns out to be binary (see `looksBinary`).
 */
function typeOf(file) {
  const ext = file.name.includes(".") ? (file.name.split(".").pop() || "").toLowerCase() : "";
  if (TYPES[ext]) return TYPES[ext];
  if (["text/markdown", "text/html", "application/pdf"].includes(file.type)) return file.type;
  if (file.type.startsWith("text/") || file.type === "application/json" || file.type === "") return "text/plain";
  return null;
}

/** A file whose type is only guessed (no known extension, no type from the browser) may be binary. */
const guessed = (file) => !TYPES[(file.name.includes(".") ? file.name.split(".").pop() : "").toLowerCase()] && file.type === "";

/**
 * Text with NUL (the API refuses it in text) is a binary file read as text; so,
 * for a file whose type was only guessed, is text with many U+FFFD (bytes that
 * are not UTF-8). A known text type is not judged by that: a Latin-1 page has some.
 */
function looksBinary(text, file) {
  const sample = text.slice(0, 4096);
  if (sample.includes("\u0000")) return true;
  if (!guessed(file)) return false;
  const bad = sample.split("\uFFFD").length - 1;
  return sample.length > 0 && bad / sample.length > 0.02;
}

function readFileAs(file, type) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    // A dropped folder arrives as a File that cannot be read.
    reader.onerror = () => reject(new Error(`could not read ${file.name} (a folder? drop the files inside it)`));
    reader.onload = () => {
      // PDFs travel as base64 (the API's rule); text as text.
      resolve(type === "application/pdf" ? String(reader.result).replace(/^data:[^,]*,/, "") : String(reader.result));
    };
    if (type === "application/pdf") reader.readAsDataURL(file);
    else reader.readAsText(file);
  });
}

/** One row per item being added: its name, a progress bar over its stages, and its state. */
function uploadRow(name) {
  const bar = el("progress", { max: 1, value: 0 });
  const stateText = el("span", { className: "state" }, "reading…");
  const stages = el("span", { className: "stages muted" });
  const row = el("li", { "data-name": name, "data-state": "reading" }, el("span", { className: "name" }, name), bar, stateText, stages);
  $("uploads").prepend(row);
  return {
    row,
    set(kind, text) {
      row.dataset.state = kind;
      stateText.textContent = text;
      stateText.className = `state state-${kind}`;
    },
    progress(list) {
      const done = list.filter((s) => s.state === "done").length;
      bar.max = list.length;
      bar.value = done;
      stages.replaceChildren(...list.map((s) => el("span", { className: `stage stage-${s.state}`, title: s.error || s.state }, s.name)));
    },
  };
}

async function follow(id, ui) {
  ui.row.dataset.id = id;
  ui.row.querySelector(".name").replaceChildren(resourceLink(id, ui.row.dataset.name));
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    let status;
    try {
      status = await call(`/resources/${encodeURIComponent(id)}/status`);
    } catch (e) {
      ui.set("waiting", `waiting: ${e.message}`);
      await sleep(2000);
      continue;
    }
    const list = stagesOf(status);
    ui.progress(list);
    if (status.upToDate) {
      ui.set("current", "current");
      return;
    }
    if (status.ingestion.status === "failed") {
      ui.set("failed", `failed: ${status.ingestion.error || "see its page"}`);
      return;
    }
    ui.set("working", `${list.filter((s) => s.state === "done").length}/${list.length} stages`);
    await sleep(700);
  }
  ui.set("waiting", "still working: see its page");
}

async function add(name, makeBody) {
  const ui = uploadRow(name);
  try {
    const body = await makeBody();
    ui.set("sending", "sending… (waits for the API key if one is needed)");
    const created = await withKey(
      () => call("/resources", { method: "POST", body: JSON.stringify(body) }),
      (e) => ui.set("failed", `refused: ${e.message}`),
    );
    if (created) await follow(created.id, ui);
  } catch (e) {
    ui.set("failed", String(e.message || e));
  }
}

function addFiles(files) {
  for (const file of files) {
    void add(file.name, async () => {
      const contentType = typeOf(file);
      if (!contentType) throw new Error(`${file.name}: not a type the library reads (${READABLE})`);
      const content = await readFileAs(file, contentType);
      if (!content.trim()) throw new Error(`${file.name} is empty`);
      if (contentType !== "application/pdf" && looksBinary(content, file)) throw new Error(`${file.name}: not a type the library reads (${READABLE}); it looks binary`);
      // No title: ingestion finds the document's own (HTML <title>, a Markdown heading, a PDF's
      // first line), as the CLI does; the file name is kept as where it came from.
      return { content, contentType, source: file.name };
    });
  }
}

/** A drag that carries files (not text or a link dragged within the page). */
const carriesFiles = (ev) => Array.from(ev.dataTransfer?.types || []).includes("Files");

/**
 * Files may be dropped anywhere on the page, not only on the zone: otherwise a
 * drop that misses the zone makes the browser leave the page to open the file.
 * The zone lights up while files are dragged over the page.
 */
function acceptDrops() {
  const zone = $("drop");
  let depth = 0;
  const hover = (on) => zone.classList.toggle("over", on);
  document.addEventListener("dragenter", (ev) => {
    if (!carriesFiles(ev)) return;
    ev.preventDefault();
    depth++;
    hover(true);
  });
  document.addEventListener("dragover", (ev) => {
    if (!carriesFiles(ev)) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("dragleave", (ev) => {
    if (!carriesFiles(ev)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) hover(false);
  });
  document.addEventListener("drop", (ev) => {
    if (!carriesFiles(ev)) return;
    ev.preventDefault();
    depth = 0;
    hover(false);
    addFiles([...ev.dataTransfer.files]);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  $("search-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const mode = document.querySelector('input[name="mode"]:checked')?.value || "hybrid";
    go({ ...state, q: $("q").value, mode, page: 0 });
  });
  for (const r of document.querySelectorAll('input[name="mode"]')) {
    r.addEventListener("change", () => {
      if (state.q) go({ ...state, q: $("q").value, mode: r.value, page: 0 });
    });
  }
  $("prev").addEventListener("click", () => go({ ...state, page: Math.max(0, state.page - 1) }));
  $("next").addEventListener("click", () => go({ ...state, page: state.page + 1 }));
  $("add-url-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const url = $("add-url").value.trim();
    if (!url) return;
    $("add-url").value = "";
    void add(url, async () => ({ url }));
  });
  $("files").addEventListener("change", () => {
    addFiles([...$("files").files]);
    $("files").value = "";
  });
  acceptDrops();
  window.addEventListener("popstate", () => {
    state = readState();
    void runSearch();
  });
  void runSearch();
});
