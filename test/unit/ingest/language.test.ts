import { describe, expect, it } from "vitest";
import { decodeText } from "@shared/ingest/decode";
import { detectLanguage, languageFromTag } from "@shared/ingest/language";
import { collapseWhitespace, normaliseText } from "@shared/ingest/text";

describe("detectLanguage", () => {
  it.each([
    [
      "en",
      "The library keeps a copy of every book that is published in the country, and it has done so for more than two hundred years. Readers can ask for any of them, but they have to read them in the reading room, which is open from nine in the morning until eight in the evening.",
    ],
    [
      "de",
      "Die Bibliothek bewahrt ein Exemplar von jedem Buch auf, das im Land erscheint, und sie tut das seit mehr als zweihundert Jahren. Die Leser können jedes davon bestellen, aber sie müssen es im Lesesaal lesen, der von neun Uhr morgens bis acht Uhr abends geöffnet ist.",
    ],
    [
      "fr",
      "La bibliothèque conserve un exemplaire de chaque livre qui est publié dans le pays, et elle le fait depuis plus de deux cents ans. Les lecteurs peuvent demander n'importe lequel, mais ils doivent le lire dans la salle de lecture, qui est ouverte de neuf heures du matin à huit heures du soir.",
    ],
    [
      "es",
      "La biblioteca guarda un ejemplar de cada libro que se publica en el país, y lo hace desde hace más de doscientos años. Los lectores pueden pedir cualquiera de ellos, pero tienen que leerlos en la sala de lectura, que está abierta desde las nueve de la mañana hasta las ocho de la noche.",
    ],
  ])("recognises %s prose", (language, text) => {
    expect(detectLanguage(text)).toBe(language);
  });

  it("returns null when unsure: short text, code, lists of names", () => {
    expect(detectLanguage("Hello world")).toBeNull();
    expect(detectLanguage("const x = foo(bar); if (x) { return baz.qux(1, 2, 3); } else { throw new Error(msg); } ".repeat(5))).toBeNull();
    expect(detectLanguage("Ada Lovelace, Charles Babbage, Alan Turing, Grace Hopper, Edsger Dijkstra, Donald Knuth, Barbara Liskov, Ken Thompson, Dennis Ritchie, Niklaus Wirth, John McCarthy, Frances Allen")).toBeNull();
  });
});

describe("languageFromTag", () => {
  it.each([
    ["en-US", "en"],
    ["pt_BR", "pt"],
    ["DE", "de"],
    ["x-default", null],
    ["und", null],
    ["english", null],
    ["", null],
    [null, null],
  ])("%j → %j", (tag, expected) => {
    expect(languageFromTag(tag)).toBe(expected);
  });
});

describe("decodeText", () => {
  it("follows a BOM, then the declared charset, then markup, then UTF-8, then windows-1252", () => {
    expect(decodeText(Uint8Array.from([0xef, 0xbb, 0xbf, 0x68, 0xc3, 0xa9]))).toBe("hé");
    expect(decodeText(Uint8Array.from([0xff, 0xfe, ...Buffer.from("hé", "utf16le")]))).toBe("hé");
    expect(decodeText(Uint8Array.from(Buffer.from("caf\xe9", "latin1")), { charset: "ISO-8859-1" })).toBe("café");
    expect(decodeText(Uint8Array.from(Buffer.from("hé", "utf8")))).toBe("hé");
    // Invalid UTF-8 without any label: windows-1252, including its 0x80-0x9F characters.
    expect(decodeText(Uint8Array.from(Buffer.from("\x93quoted\x94 \x80 5", "latin1")))).toBe("“quoted” € 5");
    const markup = Buffer.from('<meta http-equiv="Content-Type" content="text/html; charset=windows-1251"><p>\xcf\xf0\xe8\xe2\xe5\xf2</p>', "latin1");
    expect(decodeText(Uint8Array.from(markup), { html: true })).toContain("Привет");
  });

  it("ignores an unknown charset label", () => {
    expect(decodeText(Uint8Array.from(Buffer.from("plain", "utf8")), { charset: "no-such-charset" })).toBe("plain");
  });
});

describe("text normalisation", () => {
  it("keeps paragraphs, collapses whitespace, drops control and zero-width characters", () => {
    expect(normaliseText("  One\tline\r\nand more\u00a0text \n \n\n\nTwo\u200b\u0007 \f Three  ")).toBe("One line and more text\n\nTwo\n\nThree");
    expect(collapseWhitespace(" a \n b ")).toBe("a b");
  });
});
