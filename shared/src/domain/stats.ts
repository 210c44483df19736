/**
 * Robust statistics for the quality outlier job.
 *
 * Mean and standard deviation are dragged by the very outliers we look for;
 * the median and the median absolute deviation (MAD) are not (breakdown point
 * 50%). The modified z-score of Iglewicz & Hoaglin (1993) flags |z| > 3.5.
 */

/** Consistency constant: MAD × 1.4826 estimates σ for normally distributed data. */
export const MAD_TO_SIGMA = 1.4826;
/** Iglewicz & Hoaglin's recommended cut-off for the modified z-score. */
export const OUTLIER_Z_THRESHOLD = 3.5;

function finiteSorted(values: readonly number[]): number[] {
  return values.filter(Number.isFinite).sort((a, b) => a - b);
}

/** Median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  const sorted = finiteSorted(values);
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median absolute deviation from the median (unscaled); NaN when empty. */
export function mad(values: readonly number[]): number {
  const m = median(values);
  if (Number.isNaN(m)) return Number.NaN;
  return median(values.filter(Number.isFinite).map((v) => Math.abs(v - m)));
}

export function mean(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return Number.NaN;
  return finite.reduce((s, v) => s + v, 0) / finite.length;
}

/**
 * Percentile `p` in [0, 100] with linear interpolation between closest ranks
 * (the "type 7" definition used by R, NumPy and spreadsheets).
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = finiteSorted(values);
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

export interface RobustSummary {
  median: number;
  mad: number;
  /** The spread used for z-scores: MAD × 1.4826, or a fallback when MAD is 0. */
  scale: number;
  count: number;
}

/**
 * Median and robust scale of `values`. When more than half the values are
 * identical the MAD is 0 and every other value would get an infinite score;
 * then the mean absolute deviation × 1.2533 (its own σ-consistency constant)
 * is used, as IBM's and Iglewicz & Hoaglin's treatments suggest.
 */
export function robustSummary(values: readonly number[]): RobustSummary {
  const finite = values.filter(Number.isFinite);
  const m = median(finite);
  const rawMad = mad(finite);
  let scale = rawMad * MAD_TO_SIGMA;
  if (!(scale > 0) && finite.length > 0) {
    scale = mean(finite.map((v) => Math.abs(v - m))) * 1.2533;
  }
  return { median: m, mad: rawMad, scale: scale > 0 ? scale : 0, count: finite.length };
}

/**
 * Modified z-score of `value` against a summary: (value − median) / scale.
 * 0 when the value equals the median; ±Infinity only when every value in the
 * sample is identical and this one differs (it is then an outlier by any rule).
 */
export function robustZScore(value: number, summary: RobustSummary): number {
  const diff = value - summary.median;
  if (diff === 0) return 0;
  if (summary.scale === 0) return diff > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return diff / summary.scale;
}

/** Modified z-scores of every value against its own sample. */
export function robustZScores(values: readonly number[]): number[] {
  const summary = robustSummary(values);
  return values.map((v) => robustZScore(v, summary));
}

/** Indices of values whose |modified z| exceeds `threshold`. */
export function robustOutlierIndices(values: readonly number[], threshold = OUTLIER_Z_THRESHOLD): number[] {
  const z = robustZScores(values);
  return z.flatMap((score, i) => (Math.abs(score) > threshold ? [i] : []));
}
