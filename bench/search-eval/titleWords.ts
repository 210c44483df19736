/**
 * The "content words" of a text, as the paraphrase rule of the search
 * evaluation set compares them: lower-cased, split on anything that is not a
 * letter or digit (so `pg_hba.conf` gives pg, hba, conf), stop words and pure
 * numbers (section numbers such as "11.6") dropped, each word reduced by a
 * simple suffix-stripping stem.
 *
 * The stemmer is deliberately crude and leans towards merging words
 * (indexes/indexing → index, logging/log → log, creates/creating → creat): the
 * rule it serves says a paraphrase shares no word with its answer's title, so a
 * false merge only makes the rule stricter, while a missed merge would let a
 * title word slip through as "paraphrase".
 */

/** English function words plus question words: they carry no topic. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  `a about above after again against all also am an and any are aren't as at be because been before being below
  between both but by can cannot could couldn't did didn't do does doesn't doing don't down during each either
  else etc even ever every few for from further get gets got had has have having he her here hers herself him
  himself his how i if in into is isn't it it's its itself just let like may me might more most much must my
  myself need no nor not now of off on once one only or other our ours ourselves out over own per please same
  shall she should so some such than that the their theirs them themselves then there these they this those
  through to too under until up upon us very via was we were what when where whether which while who whom why
  will with within without won't would yet you your yours yourself yourselves vs versus`
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .flatMap((w) => [w, w.replace(/'/g, "")]),
);

/**
 * Endings removed, longest first, repeatedly while at least three letters stay
 * (partitioning → partition → partit, and partition → partit: both agree).
 */
const SUFFIXES = ["ization", "ation", "ment", "ness", "able", "ible", "ing", "ion", "ate", "ed", "er", "ly", "al"];

/** A simple suffix-stripping stem: plurals, then derivational/inflectional endings, then a final e or doubled consonant. */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.length <= 3) return w;
  if (w.endsWith("ies") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(?:ss|x|ch|sh|z)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith("s") && !/(?:ss|us|is)$/.test(w)) w = w.slice(0, -1);
  for (let pass = 0; pass < 3; pass++) {
    // "ate" needs a longer remainder so update/updating both keep "updat".
    const suffix = SUFFIXES.find((s) => w.endsWith(s) && w.length - s.length >= (s === "ate" ? 4 : 3));
    if (!suffix) break;
    w = w.slice(0, -suffix.length);
  }
  if (/([b-df-hj-km-np-rtv-z])\1$/.test(w)) w = w.slice(0, -1); // running → runn → run (not ll/ss)
  if (w.endsWith("e") && w.length > 3) w = w.slice(0, -1); // update/updating → updat
  return w;
}

/** The content words of a text: each stem with the first word of the text that gave it. */
export function contentWordMap(text: string): Map<string, string> {
  const words = new Map<string, string>();
  for (const raw of text.toLowerCase().replace(/[\u2018\u2019]/g, "'").split(/[^\p{L}\p{N}']+/u)) {
    const token = raw.replace(/^'+|'+$/g, "");
    if (token.length < 2 || STOP_WORDS.has(token) || /^\p{N}+$/u.test(token)) continue;
    // A possessive or contraction is the word itself: table's → table.
    const bare = token.replace(/'s?$/, "").replace(/'/g, "");
    if (bare.length < 2 || STOP_WORDS.has(bare)) continue;
    const stemmed = stem(bare);
    if (!words.has(stemmed)) words.set(stemmed, bare);
  }
  return words;
}

/** The stemmed content words of a text. */
export function contentWords(text: string): Set<string> {
  return new Set(contentWordMap(text).keys());
}

/** The words of `text` whose stem is also a content word of `other`, sorted. */
export function sharedContentWords(text: string, other: string): string[] {
  const otherWords = contentWords(other);
  return [...contentWordMap(text)].filter(([s]) => otherWords.has(s)).map(([, word]) => word).sort();
}
