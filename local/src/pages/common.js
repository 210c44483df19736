/* global document, window */
// Shared by the reader's pages: API calls with the tab's API key, and DOM
// building that only ever sets text (documents are hostile: a title may hold
// markup, and it must show as the characters it is).

export const KEY_STORAGE = "alexandria.apiKey";

export class NeedsKey extends Error {}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * Calls the API; the key goes in a header, never in the URL. Every route but
 * /health needs the key when one is set (docs/security.md, "Route access"):
 * a 401 opens the key form once and the call is made again with the key given.
 */
export async function call(path, init = {}) {
  let res = await send(path, init);
  if (res.status === 401) {
    await new Promise((resolve) => keyPrompt(resolve));
    res = await send(path, init);
  }
  if (res.status === 401) throw new NeedsKey("an API key is needed");
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { error: text.slice(0, 200) };
  }
  if (!res.ok) throw new ApiError(res.status, (body && body.error) || `${res.status}`);
  return body;
}

function send(path, init) {
  const headers = { accept: "application/json", ...(init.headers || {}) };
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (key) headers["x-api-key"] = key;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  return fetch(path, { ...init, headers });
}

/** Builds an element; children are nodes or text (set as text, never parsed as HTML). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "className") node.className = v;
    else if (k === "onClick") node.addEventListener("click", v);
    else node.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof window.Node ? c : String(c));
  }
  return node;
}

export const $ = (id) => document.getElementById(id);

/** A link to a resource's page; only our own path, the id percent-encoded. */
export function resourceLink(id, text) {
  return el("a", { href: `/resources/${encodeURIComponent(id)}`, "data-resource": id }, text || id);
}

/** Where a resource came from, as text: only http(s) URLs become links. */
export function sourceOf(item) {
  if (item.path) return el("span", { className: "source" }, item.path);
  if (item.url) {
    const safe = /^https?:\/\//i.test(item.url);
    return safe ? el("a", { className: "source", href: item.url, rel: "noopener noreferrer nofollow", target: "_blank" }, item.url) : el("span", { className: "source" }, item.url);
  }
  // A file sent from the browser (which gives no path) keeps its name as the source.
  if (item.source) return el("span", { className: "source" }, item.source);
  return el("span", { className: "source muted" }, "pasted content");
}

/** Snippets mark query words as [word]: shown as <mark>, built from text nodes. */
export function highlighted(snippet) {
  const parts = String(snippet || "").split(/\[([^\][]{1,200})\]/);
  return parts.map((p, i) => (i % 2 === 1 ? el("mark", {}, p) : p));
}

/** Actions waiting for the key (several files may be dropped at once). */
const waitingForKey = [];

/**
 * The key form: shown when a call needs a key; each `then` runs once the key
 * is given (the actions that needed it). The key stays in this tab (sessionStorage).
 */
export function keyPrompt(then) {
  if (then) waitingForKey.push(then);
  const form = $("key-form");
  form.hidden = false;
  $("key").focus();
  form.onsubmit = (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, $("key").value);
    $("key").value = "";
    form.hidden = true;
    for (const next of waitingForKey.splice(0)) void next();
  };
}

/**
 * Runs an action; a missing key opens the key form, and the action runs again
 * once the key is given: the promise settles with that second run.
 */
export function withKey(action, onError) {
  return action().catch((e) => {
    if (e instanceof NeedsKey) return new Promise((resolve) => keyPrompt(() => withKey(action, onError).then(resolve)));
    if (!onError) throw e;
    onError(e);
    return undefined;
  });
}

/**
 * Stages of a resource, from its status answer, as a list: a `stages` array
 * when the API gives one, else the ingestion state and each derived datum.
 * The page renders whatever list comes back.
 */
export function stagesOf(status) {
  if (Array.isArray(status.stages)) return status.stages.map((s) => ({ name: s.stage || s.name, state: s.state || s.status, revision: s.revision ?? null, error: errorText(s.error || s.lastError), attempts: s.attempts ?? null }));
  const stages = [{ name: "ingestion", state: status.ingestion.status === "completed" ? "done" : status.ingestion.status, revision: status.contentRevision, error: status.ingestion.error, attempts: null }];
  const ingested = status.ingestion.status === "completed";
  for (const [name, d] of Object.entries(status.derived || {})) {
    stages.push({ name, state: d.current ? "done" : ingested ? "pending" : status.ingestion.status === "failed" ? "blocked" : "waiting", revision: d.revision, error: null, attempts: null });
  }
  return stages;
}

/** A stage's last error as text: the API gives {class, message}; older ones a string. */
function errorText(e) {
  if (!e) return null;
  if (typeof e === "string") return e;
  return [e.class, e.message].filter(Boolean).join(": ") || null;
}

export const sleep = (ms) => new Promise((r) => window.setTimeout(r, ms));
