import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  citationKeysForUrl,
  extractCitations,
  normaliseUrl,
  trimTrailingPunctuation,
} from "@shared/ingest/citations";

const values = (text: string, links?: string[]): string[] =>
  extractCitations(text, links).map((citation) => `${citation.kind}:${citation.value}`);

describe("extractCitations: URLs", () => {
  it("drops trailing sentence punctuation and unbalanced closing brackets", () => {
    expect(values("See https://example.com/a. Then (see https://example.com/b), or \"https://example.com/c\"!")).toEqual([
      "url:https://example.com/a",
      "url:https://example.com/b",
      "url:https://example.com/c",
    ]);
  });

  it("keeps balanced parentheses that belong to the URL", () => {
    expect(values("(https://en.wikipedia.org/wiki/Foo_(bar))")).toEqual(["url:https://en.wikipedia.org/wiki/Foo_(bar)"]);
  });

  it("lowercases the host, drops the fragment and tracking parameters, keeps other parameters", () => {
    expect(values("https://Example.COM/Path/Doc?utm_source=news&id=3&utm_medium=mail&fbclid=abc#section-2")).toEqual([
      "url:https://example.com/Path/Doc?id=3",
    ]);
    expect(values("https://example.com/x?utm_campaign=spring")).toEqual(["url:https://example.com/x"]);
  });

  it("deduplicates URLs that differ only by fragment or tracking, keeping the first raw form", () => {
    const citations = extractCitations("https://example.org/doc#a and https://example.org/doc?utm_source=x and https://EXAMPLE.org/doc");
    expect(citations).toEqual([{ kind: "url", value: "https://example.org/doc", raw: "https://example.org/doc#a" }]);
  });

  it("reads a real README's URLs, including one wrapped as <URL: ...>.", () => {
    const text =
      "You can also get Nettle from git, see\nhttp://www.lysator.liu.se/~nisse/nettle/ for current instructions.\n" +
      "See\n<URL: https://lists.lysator.liu.se/mailman3/postorius/lists/nettle-bugs.lists.lysator.liu.se/>.";
    expect(values(text)).toEqual([
      "url:http://www.lysator.liu.se/~nisse/nettle/",
      "url:https://lists.lysator.liu.se/mailman3/postorius/lists/nettle-bugs.lists.lysator.liu.se/",
    ]);
  });

  it("takes http(s) links from markup and ignores other schemes", () => {
    expect(values("", ["https://example.net/paper.pdf", "mailto:someone@example.net", "javascript:void(0)", "ftp://x.org/f"])).toEqual([
      "url:https://example.net/paper.pdf",
    ]);
  });
});

describe("extractCitations: DOIs", () => {
  it("finds bare and prefixed DOIs, lowercased, without trailing punctuation", () => {
    expect(values("As shown in doi:10.1000/XYZ123. Also 10.1038/nphys1170, cited widely.")).toEqual([
      "doi:10.1000/xyz123",
      "doi:10.1038/nphys1170",
    ]);
  });

  it("keeps parentheses inside a DOI but not the one closing the sentence's bracket", () => {
    expect(values("(Huang et al., doi:10.1016/S0140-6736(20)30183-5)")).toEqual(["doi:10.1016/s0140-6736(20)30183-5"]);
  });

  it("counts doi.org and dx.doi.org URLs as DOIs only", () => {
    const citations = extractCitations("formally standardized by NIST, as FIPS 202, https://dx.doi.org/10.6028/NIST.FIPS.202.");
    expect(citations).toEqual([{ kind: "doi", value: "10.6028/nist.fips.202", raw: "https://dx.doi.org/10.6028/NIST.FIPS.202" }]);
    expect(values("https://doi.org/10.1145%2F3290605.3300857")).toEqual(["doi:10.1145/3290605.3300857"]);
  });

  it("merges a DOI written as text and as a doi.org link", () => {
    expect(values("doi:10.1038/NPHYS1170 and https://doi.org/10.1038/nphys1170", ["https://doi.org/10.1038/nphys1170"])).toEqual([
      "doi:10.1038/nphys1170",
    ]);
  });
});

describe("extractCitations: arXiv", () => {
  it("finds new-style ids, dropping the version", () => {
    expect(values("See arXiv:2101.00001v2 and arXiv: 1706.03762.")).toEqual(["arxiv:2101.00001", "arxiv:1706.03762"]);
  });

  it("finds old-style ids, dropping version and subject class", () => {
    expect(values("arXiv:hep-th/9901001v1; also arXiv:math.GT/0309136")).toEqual(["arxiv:hep-th/9901001", "arxiv:math/0309136"]);
  });

  it("counts arxiv.org abs/pdf URLs as arXiv ids", () => {
    expect(
      values(
        "https://arxiv.org/abs/2101.11408, https://arxiv.org/pdf/2101.11408v1.pdf, https://arxiv.org/abs/hep-th/9901001v3 and <https://export.arxiv.org/abs/1706.03762>",
      ),
    ).toEqual(["arxiv:2101.11408", "arxiv:hep-th/9901001", "arxiv:1706.03762"]);
  });

  it("does not read ordinary decimals as ids", () => {
    expect(values("Version 2101.00001 of the table, 1234.5678 units")).toEqual([]);
  });
});

describe("citationKeysForUrl", () => {
  it("knows a doi.org resource by URL and DOI", () => {
    expect(citationKeysForUrl("https://doi.org/10.1038/NPHYS1170")).toEqual([
      { kind: "url", value: "https://doi.org/10.1038/NPHYS1170" },
      { kind: "doi", value: "10.1038/nphys1170" },
    ]);
  });

  it("knows an arxiv.org resource by URL and id", () => {
    expect(citationKeysForUrl("https://arxiv.org/abs/2101.00001v3#comments")).toEqual([
      { kind: "url", value: "https://arxiv.org/abs/2101.00001v3" },
      { kind: "arxiv", value: "2101.00001" },
    ]);
  });

  it("gives the same URL key a citation of the page would get", () => {
    const [key] = citationKeysForUrl("https://Example.org/post?utm_source=feed#top");
    const [citation] = extractCitations("Read https://example.org/post.");
    expect(key?.value).toBe(citation?.value);
  });

  it("knows file:// and other non-web resources by nothing", () => {
    expect(citationKeysForUrl("file:///tmp/a.md")).toEqual([]);
    expect(citationKeysForUrl("not a url")).toEqual([]);
  });
});

describe("citation normal forms (properties)", () => {
  it("never throws, and every URL value is a fragment-free http(s) URL that normalises to itself", () => {
    fc.assert(
      fc.property(fc.string(), fc.webUrl({ withFragments: true, withQueryParameters: true }), (noise, url) => {
        for (const citation of extractCitations(`${noise} ${url} ${noise}`)) {
          if (citation.kind !== "url") continue;
          const parsed = new URL(citation.value);
          expect(parsed.hash).toBe("");
          expect(["http:", "https:"]).toContain(parsed.protocol);
          expect(normaliseUrl(citation.value)).toBe(citation.value);
        }
      }),
    );
  });

  it("trimTrailingPunctuation is idempotent", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const once = trimTrailingPunctuation(text);
        expect(trimTrailingPunctuation(once)).toBe(once);
      }),
    );
  });
});
