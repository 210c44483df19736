/**
 * Resolve a URL's host once and decide whether it may be contacted.
 *
 * The addresses returned here are the only ones the connection may use (see
 * `pinnedLookup` in httpSource.ts): checking one DNS answer and then letting the
 * HTTP client resolve again would let a rebinding DNS server answer "public"
 * to the check and "127.0.0.1" to the connection.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { classifyAddress, isIpLiteral, stripBrackets } from "./addressPolicy";
import type { Deadline } from "./deadline";
import { FetchNetworkError, FetchRefusedError } from "./errors";
import { canonicalHostname, type ResolvedFetchPolicy } from "./fetchPolicy";

export interface VettedAddress {
  address: string;
  family: 4 | 6;
}

export async function resolveVettedAddresses(
  url: URL,
  policy: ResolvedFetchPolicy,
  deadline: Deadline,
): Promise<VettedAddress[]> {
  const host = stripBrackets(url.hostname);
  const addresses = isIpLiteral(host) ? [host] : await deadline.race(lookupAll(host, policy));
  if (addresses.length === 0) {
    throw new FetchNetworkError(`${host} did not resolve to any address`, "ENOTFOUND");
  }
  const exempt = policy.allowPrivateNetworks || policy.privateNetworkHosts.includes(canonicalHostname(host));
  if (!exempt) {
    // Every answer must be public, not just the first: the client could pick
    // any of them, and a mixed answer is itself a sign of a rebinding attempt.
    for (const address of addresses) {
      const verdict = classifyAddress(address);
      if (!verdict.allowed) {
        const how = isIpLiteral(host) ? "is" : `resolves to ${address}, which is`;
        throw new FetchRefusedError(
          "private-address",
          `refused to fetch ${url.origin}: ${host} ${how} a non-public address (${verdict.range})`,
        );
      }
    }
  }
  return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
}

async function lookupAll(host: string, policy: ResolvedFetchPolicy): Promise<string[]> {
  try {
    if (policy.lookup) return (await policy.lookup(host)).map(stripBrackets);
    const answers = await dnsLookup(host, { all: true, verbatim: true });
    return answers.map((answer) => answer.address);
  } catch (error) {
    // Transient on purpose: resolvers fail temporarily far more often than
    // a name a user submitted stops existing.
    const code = (error as NodeJS.ErrnoException).code ?? null;
    throw new FetchNetworkError(`could not resolve ${host}: ${code ?? String(error)}`, code, { cause: error });
  }
}
