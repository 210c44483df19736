/**
 * Text normalisation shared by the lexical embedder, the classifier and the
 * quality score, so that all three see the same "words".
 *
 * Deliberately small: lowercase, Unicode letters/digits only, optional English
 * stopword removal and an optional light suffix stripper. Anything heavier
 * (a full Porter stemmer, language detection) would be a dependency decision.
 */

export interface TokenizeOptions {
  /** Drop common English function words ("the", "of", "and" ...). Default false. */
  removeStopwords?: boolean;
  /** Apply {@link lightStem} to every token. Default false. */
  stem?: boolean;
  /** Tokens shorter than this (in code points) are dropped. Default 1. */
  minLength?: number;
}

// Letters and digits of any script, plus combining marks so that text left in
// decomposed form (e + U+0301) is not split in the middle of a letter.
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
// Apostrophes inside a word ("don't", "l’homme") are removed rather than
// splitting the word, so "don't" stays one token instead of "don" + "t".
const INNER_APOSTROPHE = /(?<=[\p{L}\p{N}])['’](?=[\p{L}\p{N}])/gu;

/** Lowercased, NFC-normalised word tokens of `text`, in order. */
export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  const { removeStopwords = false, stem = false, minLength = 1 } = options;
  const normalised = text.normalize("NFC").toLowerCase().replace(INNER_APOSTROPHE, "");
  const tokens: string[] = [];
  for (const match of normalised.matchAll(WORD)) {
    let token = match[0];
    if (removeStopwords && ENGLISH_STOPWORDS.has(token)) continue;
    if (stem) token = lightStem(token);
    if ([...token].length < minLength) continue;
    tokens.push(token);
  }
  return tokens;
}

/**
 * A light English suffix stripper: plurals (S-stemmer rules) and the common
 * inflections -ing/-ed. It conflates "algorithms"/"algorithm" and
 * "computing"/"compute" well enough for bag-of-words models, and never strips
 * a word below three letters, so it cannot make unrelated short words collide
 * the way an aggressive stemmer does. Non-ASCII words are returned unchanged:
 * the rules are English.
 */
export function lightStem(word: string): string {
  if (word.length <= 3 || !/^[a-z]+$/.test(word)) return word;
  let w = word;
  if (w.endsWith("ies") && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith("sses")) w = w.slice(0, -2);
  else if (w.endsWith("es") && /(?:ch|sh|x|z)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith("s") && !/(?:ss|us|is|ys)$/.test(w)) w = w.slice(0, -1);

  // Only strip when the remainder is a plausible stem with a vowel; -ed needs
  // four letters left so that "embed" or "speed" are not mangled.
  const stemOf = (suffix: string, minBase: number): string | null => {
    if (!w.endsWith(suffix)) return null;
    const base = w.slice(0, -suffix.length);
    return base.length >= minBase && /[aeiouy]/.test(base) ? base : null;
  };
  const ing = stemOf("ing", 3);
  if (ing !== null) return undouble(ing);
  const ed = stemOf("ed", 4);
  if (ed !== null) return undouble(ed);
  return w;
}

// "running" -> "runn" -> "run"; keep ll/ss/zz ("calling" -> "call").
function undouble(stem: string): string {
  const last = stem.at(-1);
  if (last !== undefined && stem.at(-2) === last && !"lsz".includes(last)) return stem.slice(0, -1);
  return stem;
}

const FOLDED_LETTERS: Record<string, string> = {
  ł: "l", Ł: "L", ø: "o", Ø: "O", đ: "d", Đ: "D", ß: "ss", æ: "ae", Æ: "AE",
  œ: "oe", Œ: "OE", ı: "i", þ: "th", Þ: "Th", ð: "d", Ð: "D",
};

/**
 * Removes diacritics for comparison keys ("Erdős" -> "Erdos", "Skłodowska" ->
 * "Sklodowska"). NFD splits accented letters into base + combining mark; the
 * few letters that do not decompose (ł, ø, ß ...) are mapped explicitly.
 * Never use the result for display.
 */
export function foldAccents(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .replace(/[łŁøØđĐßæÆœŒıþÞðÐ]/g, (ch) => FOLDED_LETTERS[ch] ?? ch);
}

/**
 * English function words: articles, pronouns, auxiliaries, conjunctions and
 * prepositions. They carry almost no topical signal and dominate raw counts.
 */
export const ENGLISH_STOPWORDS: ReadonlySet<string> = new Set(
  `a about above after again against all also am an and any are as at be because been before being
  below between both but by can could did do does doing down during each either etc even ever every
  few for from further had has have having he her here hers herself him himself his how however i if
  in into is it its itself just let may me might more most much must my myself neither no nor not now
  of off often on once only or other otherwise our ours ourselves out over own per rather same shall
  she should since so some such than that the their theirs them themselves then there these they this
  those though through thus to too under until up upon us very via was we were what whatever when where
  whether which while who whom whose why will with within without would yet you your yours yourself
  yourselves one two three many several another still already`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);
