/**
 * Turns an `InvalidationRequest` into the cheapest set of operations that makes
 * every affected entry unreadable:
 *
 * - exact key            -> bump the key's generation (+ UNLINK its L2 value)
 * - tag                  -> bump the tag's generation
 * - `<type>:*` (or any pattern that is "literal prefix + `*`" covering whole types)
 *                        -> bump the type's generation, O(1), no scan
 * - a pattern without wildcards -> treated as the exact key it names
 * - any other pattern    -> append to the type's pattern log (checked by readers)
 *                           + SCAN/UNLINK of matching L2 values to reclaim memory
 *
 * Patterns are globs over `<type>:<key>`. A pattern whose type part has
 * wildcards applies to every type it could match.
 */
import { CacheTypes } from "../ports/cache";
import type { CacheType, InvalidationRequest } from "../ports/cache";
import { globMatches, literalPrefix } from "./glob";

export interface InvalidationPlan {
  keys: Array<{ type: CacheType; key: string }>;
  tags: string[];
  wholeTypes: CacheType[];
  /** Narrow patterns, each with the types whose log it goes to. */
  loggedPatterns: Array<{ pattern: string; types: CacheType[] }>;
  /** Statistics bucket per invalidated item: a type, "tags", or "all" for multi-type patterns. */
  buckets: string[];
}

export function planInvalidation(request: InvalidationRequest): InvalidationPlan {
  const keys = new Map<string, { type: CacheType; key: string }>();
  const wholeTypes = new Set<CacheType>();
  const loggedPatterns: InvalidationPlan["loggedPatterns"] = [];
  const buckets: string[] = [];

  for (const entry of request.keys ?? []) {
    keys.set(`${entry.type}:${entry.key}`, entry);
    buckets.push(entry.type);
  }
  const tags = [...new Set(request.tags ?? [])];
  for (let i = 0; i < tags.length; i++) buckets.push("tags");

  for (const pattern of request.patterns ?? []) {
    const { prefix, isLiteral, rest } = literalPrefix(pattern);
    if (isLiteral) {
      const named = exactKeyNamedBy(prefix);
      if (named) {
        keys.set(prefix, named);
        buckets.push(named.type);
      }
      continue;
    }
    const types = CacheTypes.filter((type) => couldMatchType(type, prefix));
    if (types.length === 0) continue;
    buckets.push(types.length === 1 ? (types[0] as CacheType) : "all");
    // "prefix*" where the prefix does not reach past "<type>:" matches every key of those types.
    if (rest === "*" && types.every((type) => `${type}:`.startsWith(prefix))) {
      types.forEach((type) => wholeTypes.add(type));
      continue;
    }
    const narrowTypes = types.filter((type) => !wholeTypes.has(type));
    if (narrowTypes.length > 0) loggedPatterns.push({ pattern, types: narrowTypes });
  }

  return { keys: [...keys.values()], tags, wholeTypes: [...wholeTypes], loggedPatterns, buckets };
}

function exactKeyNamedBy(id: string): { type: CacheType; key: string } | null {
  const colon = id.indexOf(":");
  if (colon < 0) return null;
  const type = id.slice(0, colon);
  return isCacheType(type) ? { type, key: id.slice(colon + 1) } : null;
}

/** Could a pattern whose literal prefix is `prefix` match some `<type>:<key>`? */
function couldMatchType(type: CacheType, prefix: string): boolean {
  const typePrefix = `${type}:`;
  return prefix.length >= typePrefix.length ? prefix.startsWith(typePrefix) : typePrefix.startsWith(prefix);
}

export function isCacheType(value: string): value is CacheType {
  return (CacheTypes as readonly string[]).includes(value);
}

/** Whether an L1 entry (id `<type>:<key>`, with tags) is covered by the plan. */
export function planCovers(plan: InvalidationPlan, type: CacheType, id: string, tags: readonly string[]): boolean {
  if (plan.wholeTypes.includes(type)) return true;
  if (plan.keys.some((entry) => entry.type === type && `${entry.type}:${entry.key}` === id)) return true;
  if (plan.tags.length > 0 && tags.some((tag) => tagSetOf(plan).has(tag))) return true;
  return plan.loggedPatterns.some((logged) => logged.types.includes(type) && globMatches(logged.pattern, id));
}

/** Plans may name thousands of tags (a document's terms): look them up in a set, built once per plan. */
const tagSets = new WeakMap<InvalidationPlan, ReadonlySet<string>>();
function tagSetOf(plan: InvalidationPlan): ReadonlySet<string> {
  let set = tagSets.get(plan);
  if (!set) tagSets.set(plan, (set = new Set(plan.tags)));
  return set;
}
