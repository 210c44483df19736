import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderEventCatalogue } from "@local/docs/eventCatalogueDoc";
import { allEventNames } from "@shared/events/catalogue";

describe("docs/events.md", () => {
  it("is the current rendering of the catalogue and routing table (run `npm run docs`)", () => {
    expect(readFileSync("docs/events.md", "utf8")).toBe(renderEventCatalogue());
  });
  it("names a producer for every event", () => {
    const doc = renderEventCatalogue();
    for (const name of allEventNames) expect(doc).toMatch(new RegExp(`\\| \`${name.replace(".", "\\.")}\` \\|[^|]*\\| [^—]`));
  });
});
