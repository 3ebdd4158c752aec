/*
 * Plain-number forms of the decimal engine's conversions, exact where they are taken in floats and
 * handed to the decimal code where a float could round differently.
 */

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k); // exact doubles up to 1e22

/**
 * Number(x.toPrecision(12)): the double of the 12-significant-digit decimal the decimal engine hands
 * the live code (quoter.ts `decimal`), without building a string. n = round(|x| x 10^k) is an
 * integer below 1e12 and 10^k is exact, so n / 10^k is the correctly rounded double of the decimal
 * n x 10^-k, which is what parsing its string gives. The product |x| x 10^k is off by at most half
 * an ulp (below 1e-4 at 1e12): a value within 1e-3 of a rounding tie, or an exponent guess that
 * misses [1e11, 1e12), is left to toPrecision.
 */
export function round12(x: number): number {
  return shared.round(x);
}

/**
 * round12 with its own exponent hint: one per series (the mids, a balance), so interleaved
 * series of different magnitudes do not evict each other's hint and each call skips the log10.
 */
export class Round12 {
  /** The exponent tried last (a speed hint only: every result is checked). */
  private k = 8;

  round(x: number): number {
    const a = Math.abs(x);
    if (!(a > 1e-300) || !(a < 1e11)) return Number(x.toPrecision(12));
    // Successive values of a series mostly share an exponent: try the last one first.
    let k = this.k;
    let scaled = a * POW10[k]!;
    if (!(scaled >= 1e11 && scaled < 1e12)) {
      k = 11 - Math.floor(Math.log10(a));
      if (k > 22) return Number(x.toPrecision(12));
      this.k = k;
      scaled = a * POW10[k]!;
    }
    const n = Math.round(scaled);
    if (n < 1e11 || n >= 1e12 || Math.abs(scaled - Math.floor(scaled) - 0.5) < 1e-3) {
      return Number(x.toPrecision(12));
    }
    const r = n / POW10[k]!;
    return x < 0 ? -r : r;
  }
}

const shared = new Round12();
