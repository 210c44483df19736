/**
 * Cross-site writes in a real browser (issue 15, finding 2): headless Chromium
 * (Debian's `chromium`, driven by playwright-core) against a stack in its
 * default posture (no API_KEY, loopback). A page on another origin tries
 *
 * - a `text/plain; x=json` POST (a "simple" request: no preflight), by fetch
 *   and by an HTML form;
 * - a POST whose body has no content type at all (a Blob);
 * - a DNS-rebinding style request: the page's own origin is a name that
 *   resolves to the server (`rebind.test` mapped to 127.0.0.1), so the browser
 *   sees a same-origin request and sends whatever it likes.
 *
 * Nothing may be created. Chromium missing is a failure, not a skip.
 */
import { existsSync } from "node:fs";
import { CHROMIUM } from "../helpers/browser";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { api, startTestStack, type TestStack } from "../helpers/stack";


let stack: TestStack;
let browser: Browser;
let attacker: http.Server;
let attackerOrigin: string;

/** The attacker's site: one page whose script is given by the query (the test writes it). */
function attackerPage(script: string): string {
  return `<!doctype html><html><body><script>${script}</script></body></html>`;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium), as .ci/run does`);
  stack = await startTestStack({ env: { API_KEY: undefined, HOST: "127.0.0.1" } });
  attacker = http.createServer((req, res) => {
    const script = new URL(req.url ?? "/", "http://x").searchParams.get("script") ?? "";
    res.writeHead(200, { "content-type": "text/html" }).end(attackerPage(script));
  });
  await new Promise<void>((r) => attacker.listen(0, "127.0.0.1", () => r()));
  // Another site than the API's 127.0.0.1: `localhost` is a different host, so a different origin and site.
  attackerOrigin = `http://localhost:${(attacker.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      // The rebinding attacker's name now resolves to this machine.
      "--host-resolver-rules=MAP rebind.test 127.0.0.1",
      // Browsers without Private Network Access (Firefox, Safari, older Chromium) send these requests: test the server, not the browser.
      "--disable-features=PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests,LocalNetworkAccessChecks",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (attacker ? attacker.close(() => r()) : r()));
  await stack?.dispose();
});

async function resourceCount(): Promise<number> {
  const res = await api<{ items: unknown[] }>(stack, "GET", "/resources?limit=100");
  expect(res.status).toBe(200);
  return res.body.items.length;
}

/** Runs `script` in a page of the attacker's origin and waits until it reports `done`. */
async function runOnAttackerPage(script: string): Promise<string[]> {
  const page = await browser.newPage();
  const log: string[] = [];
  page.on("console", (m) => log.push(m.text()));
  await page.goto(`${attackerOrigin}/?script=${encodeURIComponent(script)}`);
  await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, undefined, { timeout: 20_000 });
  await page.close();
  return log;
}

describe("cross-site writes from a browser", () => {
  it("a text/plain or untyped cross-site POST creates nothing", async () => {
    const body = JSON.stringify({ content: "Planted by another site.", contentType: "text/plain", title: "planted" });
    const target = `${stack.url}/resources`;
    const log = await runOnAttackerPage(`
      (async () => {
        const body = ${JSON.stringify(body)};
        for (const init of [
          { headers: { "content-type": "text/plain; x=json" }, body },
          { headers: { "content-type": "text/plain" }, body },
          { body: new Blob([body]) },
        ]) {
          try { await fetch(${JSON.stringify(target)}, { method: "POST", mode: "no-cors", ...init }); console.log("sent"); }
          catch (e) { console.log("failed " + e); }
        }
        window.done = true;
      })();`);
    expect(log.filter((l) => l === "sent").length).toBe(3);
    // And an HTML form, the oldest cross-site write there is.
    const page = await browser.newPage();
    await page.goto(`${attackerOrigin}/?script=`);
    await page.setContent(
      `<form method="POST" action="${target}" enctype="text/plain"><input name='{"content":"Planted by a form.","contentType":"text/plain","x":"' value='"}'></form>`,
    );
    await Promise.all([page.waitForEvent("framenavigated"), page.evaluate(() => document.querySelector("form")!.submit())]);
    await page.close();
    expect(await resourceCount()).toBe(0);
  });

  it("a DNS-rebinding page (its own origin resolves to the server) creates nothing", async () => {
    const port = new URL(stack.url).port;
    const origin = `http://rebind.test:${port}`;
    const page = await browser.newPage();
    // The attacker's server served this page before the name was rebound to 127.0.0.1; playwright plays that server.
    await page.route(`${origin}/attack.html`, (route) => route.fulfill({ status: 200, contentType: "text/html", body: attackerPage("") }));
    await page.goto(`${origin}/attack.html`);
    const outcome = await page.evaluate(async () => {
      const res = await fetch("/resources", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ content: "Planted through a rebound name.", contentType: "text/plain" }),
      });
      const read = await fetch("/resources");
      return { write: res.status, read: read.status };
    });
    await page.close();
    // Refused for the name, not for anything the browser did: the request reached the server.
    expect(outcome).toEqual({ write: 421, read: 421 });
    expect(await resourceCount()).toBe(0);
  });

  it("the same requests from the API's own origin (or from curl) still work", async () => {
    const res = await api<{ id: string }>(stack, "POST", "/resources", { content: "Written by its owner.", contentType: "text/plain" }, { "content-type": "application/json; charset=utf-8" });
    expect(res.status).toBe(202);
    expect(await resourceCount()).toBe(1);
  });
});
