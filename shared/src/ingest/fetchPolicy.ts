/**
 * What a fetch may touch and how much of it, and the document it yields.
 */

export interface FetchPolicy {
  /**
   * Let http(s) reach loopback, private, link-local and other non-public
   * addresses. Off in any deployment that fetches user-supplied URLs.
   */
  allowPrivateNetworks: boolean;
  /**
   * Absolute directories a file:// URL may read below (after symlinks are
   * resolved). Empty: file:// is refused. Relative entries are ignored.
   */
  allowedFileRoots: string[];
  /** Largest body accepted, after decompression. Default 10 MB. */
  maxBytes?: number;
  /** Deadline for the whole fetch: DNS, connect, headers, body and every redirect. Default 15 s. */
  timeoutMs?: number;
  /** Redirects followed before giving up. Default 5. */
  maxRedirects?: number;
  /**
   * Resolve a hostname to IP addresses. Defaults to the system resolver
   * (`dns.lookup`, all addresses). Tests pass a stub so that names map to
   * addresses without touching DNS.
   */
  lookup?: (hostname: string) => Promise<string[]>;
  /**
   * Hostnames (exact, case-insensitive) that may resolve to non-public
   * addresses even when `allowPrivateNetworks` is off: an intranet allowlist.
   * The exemption belongs to the name, not to the address it resolves to, so a
   * redirect from an exempt host to `http://127.0.0.1/` or to another name
   * that resolves privately is still refused. Tests use it to stand a local
   * server in for "the public internet" while proving that redirects are
   * re-checked.
   */
  privateNetworkHosts?: string[];
  /** Sent as User-Agent. */
  userAgent?: string;
}

export interface FetchedDocument {
  bytes: Uint8Array;
  /** Media type from the Content-Type header (or a file's extension), lowercased, without parameters. */
  contentType: string | null;
  /** The `charset` parameter of Content-Type, when the server sent one. */
  charset: string | null;
  /** The URL the bytes came from, after redirects (for files, the resolved real path). */
  finalUrl: string;
}

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_REDIRECTS = 5;
export const DEFAULT_USER_AGENT = "NeoAlexandria/0.1 (+document ingestion)";

export type ResolvedFetchPolicy = Required<Omit<FetchPolicy, "lookup">> & Pick<FetchPolicy, "lookup">;

export function resolveFetchPolicy(policy: FetchPolicy): ResolvedFetchPolicy {
  return {
    allowPrivateNetworks: policy.allowPrivateNetworks,
    allowedFileRoots: policy.allowedFileRoots,
    maxBytes: positiveOr(policy.maxBytes, DEFAULT_MAX_BYTES),
    timeoutMs: positiveOr(policy.timeoutMs, DEFAULT_TIMEOUT_MS),
    maxRedirects: policy.maxRedirects !== undefined && policy.maxRedirects >= 0 ? policy.maxRedirects : DEFAULT_MAX_REDIRECTS,
    lookup: policy.lookup,
    privateNetworkHosts: (policy.privateNetworkHosts ?? []).map(canonicalHostname),
    userAgent: policy.userAgent ?? DEFAULT_USER_AGENT,
  };
}

/** Lowercase and without a trailing dot, so "Example.COM." matches "example.com". */
export function canonicalHostname(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, "");
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
