import { cosineSimilarity, l2Norm, l2NormalizeInPlace } from "./vectors";

/**
 * Recommendation profile math: a user's interests as one vector, the
 * weighted mean of the embeddings of what they engaged with, and ranking of
 * candidate resources by cosine similarity to it. Pure: the task loads the
 * interactions and embeddings and stores the result.
 */

/**
 * How much each kind of interaction says about interest. Saving or sharing
 * something is a deliberate act; a view may be a mis-click. Unknown types
 * count like a view rather than being dropped, so a new interaction type
 * still informs the profile before it gets a weight of its own.
 */
export const INTERACTION_WEIGHTS: Readonly<Record<string, number>> = {
  view: 1,
  click: 1,
  read: 1.5,
  like: 2,
  download: 2,
  rate: 2,
  annotate: 3,
  bookmark: 3,
  share: 3,
  cite: 3,
};
const DEFAULT_INTERACTION_WEIGHT = 1;

/** Interest halves every 14 days: last month's reading matters, last year's barely. */
export const DEFAULT_HALF_LIFE_DAYS = 14;
/** Resources reported in `topResourceIds`. */
const TOP_RESOURCES = 10;
const DAY_MS = 86_400_000;

export interface Interaction {
  resourceId: string;
  type: string;
  /** Multiplier from the client (e.g. a rating or dwell fraction); default 1, negatives count as 0. */
  strength?: number;
  at: Date;
}

export interface Profile {
  /** Unit vector (or all zeros when nothing the user touched has an embedding). */
  vector: Float32Array;
  /** Total decayed weight behind the vector: how much evidence the profile rests on. */
  weight: number;
  /** The resources contributing most, heaviest first. */
  topResourceIds: string[];
}

export interface ProfileOptions {
  halfLifeDays?: number;
  weights?: Readonly<Record<string, number>>;
  /** Vector length to return when no embedding is available; default: that of the embeddings, else 0. */
  dimensions?: number;
}

/** Weight of one interaction at `now`: type weight × strength × 0.5^(age / half-life). */
export function interactionWeight(interaction: Interaction, now: Date, options: ProfileOptions = {}): number {
  const halfLifeDays = options.halfLifeDays ?? DEFAULT_HALF_LIFE_DAYS;
  const typeWeight = (options.weights ?? INTERACTION_WEIGHTS)[interaction.type] ?? DEFAULT_INTERACTION_WEIGHT;
  const strength = interaction.strength ?? 1;
  if (!Number.isFinite(strength) || strength <= 0) return 0;
  // Clock skew can put an interaction slightly in the future: treat it as "now".
  const ageDays = Math.max(0, (now.getTime() - interaction.at.getTime()) / DAY_MS);
  return typeWeight * strength * 0.5 ** (ageDays / halfLifeDays);
}

export function buildProfile(
  interactions: readonly Interaction[],
  embeddings: ReadonlyMap<string, Float32Array>,
  now: Date,
  options: ProfileOptions = {},
): Profile {
  // Several interactions with one resource add up before the resource is weighed.
  const perResource = new Map<string, number>();
  for (const interaction of interactions) {
    const w = interactionWeight(interaction, now, options);
    if (w > 0) perResource.set(interaction.resourceId, (perResource.get(interaction.resourceId) ?? 0) + w);
  }

  let vector: Float32Array | null = null;
  let weight = 0;
  const contributing: [string, number][] = [];
  for (const [resourceId, w] of perResource) {
    const embedding = embeddings.get(resourceId);
    if (!embedding || l2Norm(embedding) === 0) continue; // not embedded yet: cannot place it
    vector ??= new Float32Array(embedding.length);
    if (embedding.length !== vector.length) {
      throw new Error(`Embedding of ${resourceId} has ${embedding.length} dimensions, expected ${vector.length}`);
    }
    // Each embedding is normalised first so a long document's vector does not outweigh a short one's.
    const norm = l2Norm(embedding);
    for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! + (w * embedding[i]!) / norm;
    weight += w;
    contributing.push([resourceId, w]);
  }

  const topResourceIds = contributing
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, TOP_RESOURCES)
    .map(([id]) => id);
  if (!vector) return { vector: new Float32Array(options.dimensions ?? 0), weight: 0, topResourceIds: [] };
  return { vector: l2NormalizeInPlace(vector), weight, topResourceIds };
}

export interface RankedCandidate {
  id: string;
  /** Cosine similarity to the profile, in -1..1. */
  score: number;
}

/**
 * The `k` candidates most similar to the profile, excluding `exclude` (what the
 * user has already seen). Ties are broken by id so results are stable. An
 * empty profile ranks nothing: the caller falls back to e.g. popular items.
 */
export function rankCandidates(
  profile: Pick<Profile, "vector" | "weight">,
  candidates: readonly { id: string; vector: Float32Array }[],
  exclude: ReadonlySet<string>,
  k: number,
): RankedCandidate[] {
  if (profile.weight <= 0 || l2Norm(profile.vector) === 0 || k <= 0) return [];
  const seen = new Set<string>();
  const ranked: RankedCandidate[] = [];
  for (const candidate of candidates) {
    if (exclude.has(candidate.id) || seen.has(candidate.id)) continue;
    if (candidate.vector.length !== profile.vector.length || l2Norm(candidate.vector) === 0) continue;
    seen.add(candidate.id);
    ranked.push({ id: candidate.id, score: cosineSimilarity(profile.vector, candidate.vector) });
  }
  return ranked.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id)).slice(0, k);
}
