import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyAddress } from "@shared/ingest/addressPolicy";

describe("classifyAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.0.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["169.254.169.254", "linkLocal"],
    ["100.64.0.1", "carrierGradeNat"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.251", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["192.0.2.10", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "linkLocal"],
    ["fc00::1", "uniqueLocal"],
    ["fd12:3456::1", "uniqueLocal"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:a9fe:a9fe", "linkLocal"],
    ["64:ff9b::7f00:1", "loopback"],
    ["2002:c0a8:0101::1", "private"], // 6to4 of 192.168.1.1
    ["2001:0:4136:e378:8000:63bf:3fff:fdd2", "teredo"],
    ["not-an-ip", "invalid"],
  ])("refuses %s (%s)", (address, range) => {
    expect(classifyAddress(address)).toEqual({ allowed: false, range });
  });

  it.each(["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808"])(
    "allows the public address %s",
    (address) => {
      expect(classifyAddress(address).allowed).toBe(true);
    },
  );

  it("refuses every address in 10/8, 127/8, 169.254/16 and 192.168/16, also when IPv4-mapped", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const privateV4 = fc.oneof(
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `10.${b}.${c}.${d}`),
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `127.${b}.${c}.${d}`),
      fc.tuple(octet, octet).map(([c, d]) => `169.254.${c}.${d}`),
      fc.tuple(octet, octet).map(([c, d]) => `192.168.${c}.${d}`),
    );
    fc.assert(
      fc.property(privateV4, (address) => {
        expect(classifyAddress(address).allowed).toBe(false);
        expect(classifyAddress(`::ffff:${address}`).allowed).toBe(false);
      }),
    );
  });
});

describe("classifyAddress: IPv4-compatible IPv6 (::/96, deprecated by RFC 4291)", () => {
  it.each(["::7f00:1", "::127.0.0.1", "::a9fe:a9fe", "::169.254.169.254", "::a00:1", "::808:808", "0:0:0:0:0:0:c0a8:101"])(
    "refuses %s",
    (address) => {
      expect(classifyAddress(address).allowed).toBe(false);
    },
  );

  it("refuses every address of ::/96, whatever IPv4 address it embeds", () => {
    const word = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(word, word, (high, low) => {
        expect(classifyAddress(`::${high.toString(16)}:${low.toString(16)}`).allowed).toBe(false);
      }),
    );
  });
});
