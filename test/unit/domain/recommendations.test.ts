import { describe, expect, it } from "vitest";
import {
  buildProfile,
  interactionWeight,
  rankCandidates,
  INTERACTION_WEIGHTS,
} from "@shared/domain/recommendations";
import type { Interaction } from "@shared/domain/recommendations";
import { embedLexically } from "@shared/adapters/embedders/localEmbedder";
import { cosineSimilarity, l2Norm } from "@shared/domain/vectors";

const now = new Date("2025-06-30T12:00:00Z");
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);

/** Real (lexical) embeddings of short texts on three topics. */
const library: Record<string, string> = {
  "astro-1": "Telescopes observe distant galaxies, stars and the expansion of the universe.",
  "astro-2": "Astronomers measure the light of stars to find planets orbiting other galaxies.",
  "astro-3": "Galaxies, stars and dark matter: how telescopes map the universe.",
  "cook-1": "Slow-cooked tomato sauce with garlic, basil and olive oil for fresh pasta.",
  "cook-2": "Bake fresh bread with flour, water, salt and yeast; knead the dough well.",
  "cook-3": "Fresh pasta dough with flour and eggs, served with a garlic tomato sauce.",
  "law-1": "The court ruled that the contract was void because one party lacked capacity.",
};
const embeddings = new Map(Object.entries(library).map(([id, text]) => [id, embedLexically(text)]));
const candidates = [...embeddings].map(([id, vector]) => ({ id, vector }));

describe("interaction weights", () => {
  it("weights deliberate acts above views, scales by strength, halves every 14 days", () => {
    const base: Interaction = { resourceId: "r", type: "view", at: now };
    expect(interactionWeight(base, now)).toBe(1);
    expect(interactionWeight({ ...base, type: "bookmark" }, now)).toBe(INTERACTION_WEIGHTS.bookmark);
    expect(interactionWeight({ ...base, type: "like", strength: 0.5 }, now)).toBe(1);
    expect(interactionWeight({ ...base, at: daysAgo(14) }, now)).toBeCloseTo(0.5, 10);
    expect(interactionWeight({ ...base, at: daysAgo(28) }, now)).toBeCloseTo(0.25, 10);
    expect(interactionWeight({ ...base, at: daysAgo(7) }, now, { halfLifeDays: 7 })).toBeCloseTo(0.5, 10);
    expect(interactionWeight({ ...base, type: "something-new" }, now)).toBe(1);
    expect(interactionWeight({ ...base, strength: -2 }, now)).toBe(0);
    expect(interactionWeight({ ...base, at: new Date(now.getTime() + 60_000) }, now)).toBe(1);
  });
});

describe("buildProfile", () => {
  it("points toward what the user engaged with", () => {
    const interactions: Interaction[] = [
      { resourceId: "astro-1", type: "bookmark", at: daysAgo(1) },
      { resourceId: "astro-2", type: "view", at: daysAgo(2) },
    ];
    const profile = buildProfile(interactions, embeddings, now);
    expect(profile.vector).toHaveLength(512);
    expect(l2Norm(profile.vector)).toBeCloseTo(1, 5);
    expect(profile.topResourceIds).toEqual(["astro-1", "astro-2"]);
    expect(cosineSimilarity(profile.vector, embeddings.get("astro-3")!)).toBeGreaterThan(
      cosineSimilarity(profile.vector, embeddings.get("cook-3")!) + 0.1,
    );
  });

  it("lets recent interest outweigh old interest (recency decay)", () => {
    const interactions: Interaction[] = [
      { resourceId: "astro-1", type: "bookmark", at: daysAgo(90) },
      { resourceId: "astro-2", type: "bookmark", at: daysAgo(80) },
      { resourceId: "cook-1", type: "view", at: daysAgo(1) },
    ];
    const profile = buildProfile(interactions, embeddings, now);
    expect(profile.topResourceIds[0]).toBe("cook-1");
    const [top] = rankCandidates(profile, candidates, new Set(["astro-1", "astro-2", "cook-1"]), 1);
    expect(top!.id).toMatch(/^cook-/);
  });

  it("adds up repeated interactions with one resource", () => {
    const interactions: Interaction[] = [
      { resourceId: "cook-1", type: "view", at: now },
      { resourceId: "cook-1", type: "view", at: now },
      { resourceId: "cook-1", type: "view", at: now },
      { resourceId: "astro-1", type: "like", at: now },
    ];
    const profile = buildProfile(interactions, embeddings, now);
    expect(profile.weight).toBeCloseTo(5, 10);
    expect(profile.topResourceIds).toEqual(["cook-1", "astro-1"]);
  });

  it("is empty (zero weight) when nothing touched has an embedding", () => {
    const profile = buildProfile([{ resourceId: "unknown", type: "view", at: now }], embeddings, now, { dimensions: 512 });
    expect(profile.weight).toBe(0);
    expect(profile.vector).toHaveLength(512);
    expect(l2Norm(profile.vector)).toBe(0);
    expect(rankCandidates(profile, candidates, new Set(), 5)).toEqual([]);
  });

  it("refuses embeddings of different lengths (vectors from two models)", () => {
    const mixed = new Map(embeddings);
    mixed.set("odd", new Float32Array([1, 0, 0]));
    const interactions: Interaction[] = [
      { resourceId: "astro-1", type: "view", at: now },
      { resourceId: "odd", type: "view", at: now },
    ];
    expect(() => buildProfile(interactions, mixed, now)).toThrow(/dimensions/);
  });
});

describe("rankCandidates", () => {
  it("ranks by cosine, excludes what was seen, returns at most k", () => {
    const profile = buildProfile([{ resourceId: "cook-1", type: "like", at: now }], embeddings, now);
    const ranked = rankCandidates(profile, candidates, new Set(["cook-1"]), 3);
    expect(ranked).toHaveLength(3);
    expect(ranked.map((r) => r.id)).not.toContain("cook-1");
    expect(ranked[0]!.id).toBe("cook-3");
    for (let i = 1; i < ranked.length; i++) expect(ranked[i - 1]!.score).toBeGreaterThanOrEqual(ranked[i]!.score);
  });

  it("breaks ties by id and skips duplicates and mismatched vectors", () => {
    const v = embedLexically("same text");
    const profile = { vector: v, weight: 1 };
    const ranked = rankCandidates(
      profile,
      [
        { id: "b", vector: v },
        { id: "a", vector: v },
        { id: "a", vector: v },
        { id: "short", vector: new Float32Array(3) },
      ],
      new Set(),
      10,
    );
    expect(ranked.map((r) => r.id)).toEqual(["a", "b"]);
    expect(ranked[0]!.score).toBeCloseTo(1, 5);
  });
});
