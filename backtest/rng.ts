import type { Rng } from './types';

/*
 * Seeded uniform generators. Every path draws from streams derived from (run seed, path index,
 * stream), never from a shared sequence, so a path's numbers do not depend on which worker
 * thread runs it or in which order.
 */

/** splitmix32 step: a good 32-bit mixer for turning structured seeds into independent states. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * sfc32 (Small Fast Counting), 128-bit state, period >= 2^32; draws in [0, 1) with 32 bits. A
 * class with one monomorphic method, so a hot loop can inline `next()` and keep its draws unboxed.
 */
export class Sfc32 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(a: number, b: number, c: number, d: number) {
    // Kept as int32 (next() reads them through | 0 anyway), so the fields stay small integers.
    this.a = a | 0;
    this.b = b | 0;
    this.c = c | 0;
    this.d = d | 0;
  }

  next(): number {
    const a = this.a | 0;
    const b = this.b | 0;
    let c = this.c | 0;
    const d = this.d | 0;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    this.c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
}
/** Independent streams of one path: the price path and the order flow never share draws. */
export type RngStream = 'price' | 'flow';
const STREAM_ID: Record<RngStream, number> = { price: 1, flow: 2 };

export function pathRng(seed: number, path: number, stream: RngStream): Rng {
  const g = pathGenerator(seed, path, stream);
  return () => g.next();
}

/** pathRng's stream as its generator object (the same draws). */
export function pathGenerator(seed: number, path: number, stream: RngStream): Sfc32 {
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(path) || path < 0) {
    throw new Error(`seed and path must be safe integers (path >= 0), got seed ${seed}, path ${path}`);
  }
  // Fold the high bits of a large seed in too, so seeds differing only above 2^32 differ.
  const hi = Math.floor(seed / 4294967296) | 0;
  const s0 = mix32(mix32(seed | 0) ^ hi);
  const s1 = mix32(s0 ^ mix32(path));
  const s2 = mix32(s1 ^ STREAM_ID[stream]);
  const s3 = mix32(s2 ^ 0x5bd1e995);
  const rng = new Sfc32(s0, s1, s2, s3);
  // sfc32's authors discard the first outputs so nearby seeds decorrelate.
  for (let i = 0; i < 12; i++) rng.next();
  return rng;
}

/** A standard normal draw (Box-Muller; the second variate is dropped to keep draws stateless). */
export function normal(rng: Rng): number {
  let u = rng();
  while (u <= 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
