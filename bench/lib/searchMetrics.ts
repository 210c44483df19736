/** Retrieval metrics of the search evaluation: success@k, MRR@10 and nDCG@10 (binary relevance). */

export interface Question {
  id: string;
  question: string;
  kind: "easy" | "paraphrase";
  accepted: string[];
}

export interface Scores {
  n: number;
  /** Share of questions with an accepted page first / in the first five. */
  success1: number;
  success5: number;
  /** Mean reciprocal rank of the first accepted page within the first ten (0 when none). */
  mrr10: number;
  /** nDCG over the first ten, every accepted page relevant. */
  ndcg10: number;
}

export interface Metrics {
  all: Scores;
  easy: Scores;
  paraphrase: Scores;
}

/** One question's scores for a ranking of page names, best first. */
export function scoreOne(accepted: readonly string[], ranking: readonly string[]): Omit<Scores, "n"> {
  const relevant = new Set(accepted);
  const top = ranking.slice(0, 10);
  const first = top.findIndex((page) => relevant.has(page));
  let dcg = 0;
  top.forEach((page, i) => {
    if (relevant.has(page)) dcg += 1 / Math.log2(i + 2);
  });
  let ideal = 0;
  for (let i = 0; i < Math.min(relevant.size, 10); i++) ideal += 1 / Math.log2(i + 2);
  return { success1: first === 0 ? 1 : 0, success5: first >= 0 && first < 5 ? 1 : 0, mrr10: first >= 0 ? 1 / (first + 1) : 0, ndcg10: ideal > 0 ? dcg / ideal : 0 };
}

function average(items: ReadonlyArray<Omit<Scores, "n">>): Scores {
  const n = items.length;
  const mean = (pick: (s: Omit<Scores, "n">) => number) => (n === 0 ? 0 : Math.round((items.reduce((a, s) => a + pick(s), 0) / n) * 1e4) / 1e4);
  return { n, success1: mean((s) => s.success1), success5: mean((s) => s.success5), mrr10: mean((s) => s.mrr10), ndcg10: mean((s) => s.ndcg10) };
}

export function scoreRankings(questions: readonly Question[], rankings: ReadonlyMap<string, readonly string[]>): Metrics {
  const scored = questions.map((q) => ({ kind: q.kind, s: scoreOne(q.accepted, rankings.get(q.id) ?? []) }));
  return {
    all: average(scored.map((x) => x.s)),
    easy: average(scored.filter((x) => x.kind === "easy").map((x) => x.s)),
    paraphrase: average(scored.filter((x) => x.kind === "paraphrase").map((x) => x.s)),
  };
}
