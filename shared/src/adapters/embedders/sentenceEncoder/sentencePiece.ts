/**
 * A SentencePiece unigram tokenizer for the sentence encoder's vocabulary
 * (`vocab.json`: an array of `[piece, logProbability]`, the id of a piece
 * being its index).
 *
 * The text is NFKC-normalised, every space becomes "▁" and a "▁" is put in
 * front (the word-start mark the pieces carry). The segmentation is the one
 * with the highest total log probability (Viterbi over the lattice of
 * vocabulary pieces). A character no piece covers becomes the unknown id, and
 * a run of such characters one unknown token, as SentencePiece does.
 *
 * Linear in the text length: from each position the trie is walked at most
 * as deep as the longest piece, so long passages cost no more per character
 * than short ones (a prefix search over the whole remaining text per position
 * would be quadratic).
 */

const WORD_START = "\u2581";
/** Ids 0–5 are reserved: unknown, <s>, </s> and three spares. None of them is produced from text except "unknown". */
const RESERVED = 6;
const UNKNOWN_ID = 0;

interface TrieNode {
  next: Map<string, TrieNode>;
  /** The piece ending here: its id and score. */
  id: number;
  score: number;
}

export class SentencePieceTokenizer {
  readonly #root: TrieNode = { next: new Map(), id: -1, score: 0 };
  /** Lower than any path through known pieces, so an unknown character is used only when nothing else covers it. */
  readonly #unknownScore: number;

  constructor(vocabulary: ReadonlyArray<readonly [string, number]>) {
    let lowest = 0;
    for (let id = RESERVED; id < vocabulary.length; id++) {
      const [piece, score] = vocabulary[id]!;
      let node = this.#root;
      for (const ch of piece) {
        let child = node.next.get(ch);
        if (!child) node.next.set(ch, (child = { next: new Map(), id: -1, score: 0 }));
        node = child;
      }
      node.id = id;
      node.score = score;
      lowest = Math.min(lowest, score);
    }
    this.#unknownScore = lowest - 10;
  }

  /** Token ids of `text`; empty text gives no tokens. */
  encode(text: string): number[] {
    const normalized = text.normalize("NFKC");
    if (normalized.length === 0) return [];
    const chars = [...(WORD_START + normalized.replace(/ /g, WORD_START))];
    const n = chars.length;
    // best[i]: the highest score of a segmentation of chars[0, i); from[i], token[i]: its last piece.
    const best = new Float64Array(n + 1).fill(Number.NEGATIVE_INFINITY);
    const from = new Int32Array(n + 1);
    const token = new Int32Array(n + 1);
    best[0] = 0;
    for (let start = 0; start < n; start++) {
      const base = best[start]!;
      if (base === Number.NEGATIVE_INFINITY) continue;
      this.#relax(best, from, token, start + 1, start, UNKNOWN_ID, base + this.#unknownScore);
      let node: TrieNode | undefined = this.#root;
      for (let end = start; end < n && node; end++) {
        node = node.next.get(chars[end]!);
        if (node && node.id >= 0) this.#relax(best, from, token, end + 1, start, node.id, base + node.score);
      }
    }
    const ids: number[] = [];
    for (let at = n; at > 0; at = from[at]!) {
      const id = token[at]!;
      // A run of unknown characters is one unknown token.
      if (id === UNKNOWN_ID && ids[ids.length - 1] === UNKNOWN_ID) continue;
      ids.push(id);
    }
    return ids.reverse();
  }

  #relax(best: Float64Array, from: Int32Array, token: Int32Array, end: number, start: number, id: number, score: number): void {
    // On a tie the later start (a shorter last piece) wins, as in the reference SentencePiece lattice.
    if (score >= best[end]!) {
      best[end] = score;
      from[end] = start;
      token[end] = id;
    }
  }
}
