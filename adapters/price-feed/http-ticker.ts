import { DomainValidationError, describeValue } from '../../domain/errors';
import { Big, formatDecimal, parseDecimal } from '../../domain/money';
import { PriceFeedError, type Clock, type PriceFeed, type PriceTick } from './port';

export interface HttpTickerOptions {
  name: string;
  url: string;
  /** Dotted path to the price in the JSON body; numeric segments index arrays: "result.0.last". */
  pricePath: string;
  /** Default 5000. */
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** observedAtMs of each tick; the time the response arrived, since tickers rarely say when they observed. */
  clock?: Clock;
}

/** Follows a dotted path; returns the segment that was missing, so the error can point at it. */
export function extractPath(
  body: unknown,
  path: string,
): { found: true; value: unknown } | { found: false; missing: string } {
  let current: unknown = body;
  const segments = path.split('.');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (Array.isArray(current) && /^\d+$/.test(seg) && Number(seg) < current.length) {
      current = current[Number(seg)];
    } else if (
      current !== null &&
      typeof current === 'object' &&
      !Array.isArray(current) &&
      Object.hasOwn(current, seg)
    ) {
      current = (current as Record<string, unknown>)[seg];
    } else {
      return { found: false, missing: segments.slice(0, i + 1).join('.') };
    }
  }
  return { found: true, value: current };
}

/**
 * Polls a JSON ticker endpoint with the global fetch. Each next() is one GET and one tick; it
 * never returns null, so the ingester's interval is the polling rate.
 */
export class HttpTickerFeed implements PriceFeed {
  readonly name: string;
  private readonly url: string;
  private readonly pricePath: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly clock: Clock;

  constructor(opts: HttpTickerOptions) {
    if (opts.name.trim() === '')
      throw new DomainValidationError('name', 'name must be a non-empty feed name');
    try {
      new URL(opts.url);
    } catch {
      throw new DomainValidationError(
        'url',
        `url must be an absolute http(s) URL, got ${describeValue(opts.url)}`,
      );
    }
    if (!/^https?:$/.test(new URL(opts.url).protocol)) {
      throw new DomainValidationError('url', `url must use http or https, got ${describeValue(opts.url)}`);
    }
    if (opts.pricePath.trim() === '' || opts.pricePath.split('.').some((s) => s === '')) {
      throw new DomainValidationError(
        'pricePath',
        `pricePath must be a dotted path such as "data.price", got ${describeValue(opts.pricePath)}`,
      );
    }
    const timeoutMs = opts.timeoutMs ?? 5000;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new DomainValidationError(
        'timeoutMs',
        `timeoutMs must be a positive integer of milliseconds, got ${String(timeoutMs)}`,
      );
    }
    this.name = opts.name;
    this.url = opts.url;
    this.pricePath = opts.pricePath;
    this.timeoutMs = timeoutMs;
    this.headers = { accept: 'application/json', ...opts.headers };
    this.clock = opts.clock ?? Date.now;
  }

  async next(): Promise<PriceTick> {
    let response: Response;
    try {
      response = await fetch(this.url, {
        headers: this.headers,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError') {
        throw new PriceFeedError(
          this.name,
          `GET ${this.url} timed out after ${this.timeoutMs} ms; check the endpoint or raise timeoutMs`,
          { cause: err },
        );
      }
      const cause = (e.cause as Error | undefined)?.message;
      throw new PriceFeedError(
        this.name,
        `GET ${this.url} failed: ${e.message}${cause ? ` (${cause})` : ''}; check the URL and that the server is reachable`,
        {
          cause: err,
        },
      );
    }
    const text = await response.text().catch((err: unknown) => {
      throw new PriceFeedError(
        this.name,
        `GET ${this.url}: reading the body failed: ${(err as Error).message}`,
        { cause: err },
      );
    });
    if (!response.ok) {
      throw new PriceFeedError(
        this.name,
        `GET ${this.url} returned HTTP ${response.status}: ${text.slice(0, 200)}`,
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new PriceFeedError(
        this.name,
        `GET ${this.url} did not return JSON (body starts ${JSON.stringify(text.slice(0, 80))}); point url at a JSON ticker endpoint`,
      );
    }
    const hit = extractPath(body, this.pricePath);
    if (!hit.found) {
      throw new PriceFeedError(
        this.name,
        `GET ${this.url}: path "${this.pricePath}" not found in the JSON (no "${hit.missing}"); fix pricePath`,
      );
    }
    return { feed: this.name, price: this.toPrice(hit.value), observedAtMs: this.clock() };
  }

  private toPrice(value: unknown): string {
    const where = `GET ${this.url} at "${this.pricePath}"`;
    let price: Big;
    if (typeof value === 'number') {
      if (!Number.isFinite(value))
        throw new PriceFeedError(this.name, `${where}: price is ${String(value)}, not a finite number`);
      // JSON numbers are converted through their shortest string so 0.1 stays exactly "0.1".
      price = new Big(String(value));
    } else if (typeof value === 'string') {
      try {
        price = parseDecimal(value.trim(), 'price', { allowNegative: true });
      } catch {
        throw new PriceFeedError(
          this.name,
          `${where}: price ${describeValue(value)} is not a plain decimal number`,
        );
      }
    } else {
      throw new PriceFeedError(
        this.name,
        `${where}: expected a number or a decimal string, got ${describeValue(value)}; fix pricePath`,
      );
    }
    if (price.lte(0)) {
      throw new PriceFeedError(this.name, `${where}: price must be positive, got ${formatDecimal(price)}`);
    }
    return formatDecimal(price);
  }
}
