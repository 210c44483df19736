/**
 * Users come from the authenticated principal (issue 15, finding 6). Keys:
 * the single API_KEY is the admin key; alice and bob have user keys from
 * API_KEYS, carol from the keys file DATA_DIR/api-keys.json. A user reads and
 * writes only their own interactions and recommendations; another user's id
 * gets exactly the answer an unknown id gets (404), so ids cannot be probed.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";

const ADMIN = "users-test-admin-key";
const ALICE = "alice-key-0123456789abcdef";
const BOB = "bob-key-0123456789abcdef";
const CAROL = "carol-key-0123456789abcdef";

let stack: TestStack;
let resourceId: string;

beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "alexandria-users-"));
  writeFileSync(path.join(dataDir, "api-keys.json"), JSON.stringify([{ userId: "carol@example.org", key: CAROL }]));
  stack = await startTestStack({ env: { DATA_DIR: dataDir, API_KEY: ADMIN, API_KEYS: `alice@example.org=${ALICE}, bob@example.org=${BOB}` } });
  const res = await api<{ id: string }>(stack, "POST", "/resources", { content: "Something to interact with.", contentType: "text/plain" }, { "x-api-key": ADMIN });
  expect(res.status).toBe(202);
  resourceId = res.body.id;
  // Recommendations need the resource's embedding.
  await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${resourceId}/status`, undefined, { "x-api-key": ADMIN })).body.upToDate, 60_000);
});

afterAll(async () => {
  await stack?.dispose();
});

const as = (key: string) => ({ "x-api-key": key });

async function interact(key: string, body: Record<string, unknown>) {
  return api<{ id: string; error?: string }>(stack, "POST", "/interactions", { resourceId, type: "view", ...body }, as(key));
}

async function recommendations(key: string | undefined, userId: string) {
  return api<{ userId?: string; error?: string }>(stack, "GET", `/users/${userId}/recommendations`, undefined, key ? as(key) : {});
}

async function interactionsOf(userId: string): Promise<number> {
  const r = await stack.app.store.client.execute({ sql: "SELECT count(*) AS n FROM interactions WHERE user_id = ?", args: [userId] });
  return Number(r.rows[0]!.n);
}

describe("users from the authenticated principal", () => {
  it("a user key writes its own interactions: the user is the key's, not the body's", async () => {
    expect((await interact(ALICE, {})).status).toBe(201);
    expect((await interact(ALICE, { userId: "alice@example.org" })).status).toBe(201);
    expect(await interactionsOf("alice@example.org")).toBe(2);
    // Carol's key comes from the keys file.
    expect((await interact(CAROL, {})).status).toBe(201);
    expect(await interactionsOf("carol@example.org")).toBe(1);
  });

  it("a user cannot write another user's interactions; the answer is the unknown-user answer", async () => {
    const forged = await interact(ALICE, { userId: "bob@example.org" });
    expect(forged.status).toBe(404);
    expect(forged.body.error).toBe("user bob@example.org not found");
    expect(await interactionsOf("bob@example.org")).toBe(0);
  });

  it("a user reads only their own recommendations; another's and an unknown id answer alike (404)", async () => {
    expect((await interact(BOB, {})).status).toBe(201);
    const own = await recommendations(ALICE, "alice@example.org");
    expect(own.status).toBe(200);
    expect(own.body.userId).toBe("alice@example.org");
    const others = await recommendations(ALICE, "bob@example.org");
    const unknown = await recommendations(ALICE, "nobody@example.org");
    expect(others.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(Object.keys(others.body).sort()).toEqual(Object.keys(unknown.body).sort());
    expect(others.body.error!.replace("bob@example.org", "ID")).toBe(unknown.body.error!.replace("nobody@example.org", "ID"));
  });

  it("recommendations are not public: no key or a wrong key is 401, whoever the user", async () => {
    for (const id of ["alice@example.org", "nobody@example.org"]) {
      expect((await recommendations(undefined, id)).status).toBe(401);
      expect((await recommendations("not-a-key-at-all-xyz", id)).status).toBe(401);
    }
  });

  it("a user key opens only the per-user routes; the admin key acts for any named user", async () => {
    const write = await api(stack, "POST", "/resources", { content: "From a user key.", contentType: "text/plain" }, as(ALICE));
    expect(write.status).toBe(403);
    expect((await api(stack, "GET", "/monitoring/tasks", undefined, as(ALICE))).status).toBe(403);
    expect((await interact(ADMIN, { userId: "dave@example.org" })).status).toBe(201);
    expect(await interactionsOf("dave@example.org")).toBe(1);
    expect((await interact(ADMIN, {})).status).toBe(400);
    expect((await recommendations(ADMIN, "bob@example.org")).status).toBe(200);
  });
});
