/**
 * Which IP addresses a server-side fetch may connect to.
 *
 * The rule is an allowlist, not a blocklist: only globally routable unicast
 * addresses pass. Loopback, RFC 1918 private, link-local (169.254.0.0/16, which
 * holds the cloud metadata endpoint 169.254.169.254), carrier-grade NAT,
 * unique-local and site-local IPv6, multicast, broadcast, unspecified, and the
 * documentation/benchmark/reserved ranges are all refused, because a new kind
 * of special range should fail closed.
 *
 * IPv6 forms that embed an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, NAT64
 * `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the embedded IPv4 address, so
 * `[::ffff:127.0.0.1]` is loopback and a DNS64 answer for a public site passes.
 * IPv4-compatible addresses (`::a.b.c.d`, the whole `::/96`, deprecated by
 * RFC 4291) are refused outright: ipaddr.js calls `::7f00:1` "unicast", and
 * some stacks route it to the embedded IPv4 address (here 127.0.0.1).
 */
import ipaddr from "ipaddr.js";

export interface AddressVerdict {
  allowed: boolean;
  /** The ipaddr.js range name that decided it, e.g. "loopback", "private", "unicast". */
  range: string;
}

/** Judge one textual IP address (no brackets, no zone id expected). */
export function classifyAddress(address: string): AddressVerdict {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    // Not an IP we can read: refuse rather than guess.
    return { allowed: false, range: "invalid" };
  }
  if (parsed.kind() === "ipv6") {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.zoneId !== undefined) return { allowed: false, range: "scoped" };
    if (v6.parts.slice(0, 6).every((part) => part === 0)) {
      const range = v6.range();
      return { allowed: false, range: range === "loopback" || range === "unspecified" ? range : "ipv4Compatible" };
    }
    const embedded = embeddedIPv4(v6);
    if (embedded) return classifyIPv4(embedded);
    const range = v6.range();
    return { allowed: range === "unicast", range };
  }
  return classifyIPv4(parsed as ipaddr.IPv4);
}

/** True when `address` is a literal IPv4 or IPv6 address (brackets allowed). */
export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(stripBrackets(host));
}

/** `[::1]` → `::1`; anything else unchanged. URL.hostname keeps the brackets. */
export function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function classifyIPv4(v4: ipaddr.IPv4): AddressVerdict {
  const range = v4.range();
  return { allowed: range === "unicast", range };
}

function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = v6.range();
  const parts = v6.parts;
  const pick = (high: number | undefined, low: number | undefined): ipaddr.IPv4 =>
    new ipaddr.IPv4([((high ?? 0) >> 8) & 0xff, (high ?? 0) & 0xff, ((low ?? 0) >> 8) & 0xff, (low ?? 0) & 0xff]);
  switch (range) {
    case "ipv4Mapped": // ::ffff:a.b.c.d
    case "rfc6145": // ::ffff:0:a.b.c.d (SIIT)
      return pick(parts[6], parts[7]);
    case "rfc6052": {
      // Only the well-known 64:ff9b::/96 prefix carries the IPv4 address in the
      // last 32 bits; the local-use 64:ff9b:1::/48 does not, and stays refused.
      const wellKnownPrefix = parts[1] === 0xff9b && parts.slice(2, 6).every((part) => part === 0);
      return wellKnownPrefix ? pick(parts[6], parts[7]) : null;
    }
    case "6to4": // 2002:aabb:ccdd::/48
      return pick(parts[1], parts[2]);
    default:
      return null;
  }
}
