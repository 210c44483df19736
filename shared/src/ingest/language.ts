/**
 * Language of a text as an ISO 639-1 code, or null when unsure.
 *
 * Declared tags (html lang, front matter, PDF /Lang) are taken when valid.
 * Otherwise a stopword count: function words are the most frequent words of
 * every language and differ between them, so counting them across a few
 * thousand words separates the languages below reliably for prose, and gives
 * no confident answer (null) for code, lists of names or very short texts.
 */

const STOPWORDS: Record<string, string> = {
  en: "the and of to is in that it with for as was on are this be by not or from which have an they you at we but were has their its can will would there been these what when who also into than",
  de: "der die und das ist nicht mit den von zu sich des auf für ein eine dem auch es im wird werden sind oder wie bei nach aus einer einen noch nur kann über wenn durch dass zum zur",
  fr: "le la les des et est un une du que qui dans pour pas sur au avec ce il sont par plus ne se aux ou son sa ses cette nous vous mais été être leur comme",
  es: "el la los las de y que en es un una por con para del se no al lo como más pero sus su está son este esta también hay entre sobre ya muy fue han desde",
  it: "il di che è la per non un una sono del della con si gli nel anche come più alla delle dei questo questa essere ha ho le da ma al",
  pt: "o a os as de e que do da em um uma para com não dos das por se mais na no ao é foi são seu sua como mas também pelo pela este esta",
  nl: "de het een en van is dat op te in niet zijn met voor er maar ook als aan bij wordt door naar deze dit kan zal worden heeft nog wel",
  sv: "och att det som en på är av för med till den har inte om ett var jag men ska kan så från de hade vid eller",
};

const STOPWORD_SETS = Object.fromEntries(
  Object.entries(STOPWORDS).map(([language, words]) => [language, new Set(words.split(" "))]),
);

export interface LanguageGuess {
  language: string | null;
  /** Share of counted words that were this language's stopwords. */
  coverage: number;
}

/** Minimum words before any guess, and the margin the winner needs over the runner-up. */
const MIN_WORDS = 20;
const MIN_COVERAGE = 0.12;
const MIN_LEAD = 1.4;

export function detectLanguage(text: string): string | null {
  return guessLanguage(text).language;
}

export function guessLanguage(text: string): LanguageGuess {
  const words = (text.slice(0, 20_000).toLowerCase().match(/\p{L}+/gu) ?? []).slice(0, 3000);
  if (words.length < MIN_WORDS) return { language: null, coverage: 0 };
  const scores = Object.entries(STOPWORD_SETS)
    .map(([language, set]) => ({ language, hits: words.filter((word) => set.has(word)).length }))
    .sort((a, b) => b.hits - a.hits);
  const [best, second] = scores;
  if (!best) return { language: null, coverage: 0 };
  const coverage = best.hits / words.length;
  const lead = second && second.hits > 0 ? best.hits / second.hits : Number.POSITIVE_INFINITY;
  if (coverage < MIN_COVERAGE || lead < MIN_LEAD) return { language: null, coverage };
  return { language: best.language, coverage };
}

/**
 * "en-US" → "en", "pt_BR" → "pt", "EN" → "en"; null for anything that is not
 * a two-letter primary subtag ("x-default", "und", "", "english").
 */
export function languageFromTag(tag: string | null | undefined): string | null {
  if (!tag) return null;
  const primary = tag.trim().toLowerCase().split(/[-_]/)[0] ?? "";
  return /^[a-z]{2}$/.test(primary) ? primary : null;
}
