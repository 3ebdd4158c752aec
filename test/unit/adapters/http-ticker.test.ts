import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractPath, HttpTickerFeed } from '../../../adapters/price-feed/http-ticker';
import { PriceFeedError } from '../../../adapters/price-feed/port';

// Routes reply with canned bodies; /slow never answers within the test's timeout.
const routes: Record<string, { status?: number; body: string }> = {
  '/number': { body: '{"data":{"price":2001.5}}' },
  '/string': { body: '{"result":[{"last":"0.000012300"}]}' },
  '/nan': { body: '{"p":"NaN"}' },
  '/negative': { body: '{"p":-3}' },
  '/zero': { body: '{"p":"0"}' },
  '/object': { body: '{"p":{"v":1}}' },
  '/html': { body: '<html>oops</html>' },
  '/down': { status: 503, body: 'maintenance' },
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/slow') return void setTimeout(() => res.end('{"p":1}'), 2_000);
    const route = routes[req.url ?? ''] ?? { status: 404, body: 'not found' };
    res.writeHead(route.status ?? 200, { 'content-type': 'application/json' }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const feed = (path: string, pricePath: string, timeoutMs?: number) =>
  new HttpTickerFeed({ name: 'ticker', url: `${base}${path}`, pricePath, timeoutMs, clock: () => 1234 });

describe('extractPath', () => {
  it('follows object keys and array indexes and reports the first missing segment', () => {
    const body = { result: [{ last: '1' }], data: { price: 2 } };
    expect(extractPath(body, 'result.0.last')).toEqual({ found: true, value: '1' });
    expect(extractPath(body, 'data.price')).toEqual({ found: true, value: 2 });
    expect(extractPath(body, 'result.1.last')).toEqual({ found: false, missing: 'result.1' });
    expect(extractPath(body, 'data.price.x')).toEqual({ found: false, missing: 'data.price.x' });
    expect(extractPath(body, 'toString')).toEqual({ found: false, missing: 'toString' });
  });
});

describe('HttpTickerFeed', () => {
  it('reads a JSON number or a decimal string as a canonical decimal string', async () => {
    expect(await feed('/number', 'data.price').next()).toEqual({
      feed: 'ticker',
      price: '2001.5',
      observedAtMs: 1234,
    });
    expect(await feed('/string', 'result.0.last').next()).toEqual({
      feed: 'ticker',
      price: '0.0000123',
      observedAtMs: 1234,
    });
  });

  it.each([
    ['/nan', 'p', /at "p": price "NaN" is not a plain decimal number/],
    ['/negative', 'p', /at "p": price must be positive, got -3/],
    ['/zero', 'p', /at "p": price must be positive, got 0/],
    ['/object', 'p', /at "p": expected a number or a decimal string, got an object; fix pricePath/],
    ['/number', 'data.last', /path "data.last" not found in the JSON \(no "data.last"\); fix pricePath/],
    ['/html', 'p', /did not return JSON/],
    ['/down', 'p', /returned HTTP 503: maintenance/],
  ])('GET %s with path %s fails with an error naming the URL', async (path, pricePath, message) => {
    const err = await feed(path, pricePath)
      .next()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(PriceFeedError);
    expect((err as Error).message).toContain(`GET ${base}${path}`);
    expect((err as Error).message).toMatch(message);
  });

  it('times out a slow endpoint', async () => {
    await expect(feed('/slow', 'p', 100).next()).rejects.toThrow(
      /timed out after 100 ms; check the endpoint or raise timeoutMs/,
    );
  });

  it('reports an unreachable server', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      new HttpTickerFeed({ name: 't', url: `http://127.0.0.1:${port}/`, pricePath: 'p' }).next(),
    ).rejects.toThrow(/failed: .*check the URL and that the server is reachable/);
  });

  it('refuses a bad configuration', () => {
    expect(() => new HttpTickerFeed({ name: 't', url: 'not a url', pricePath: 'p' })).toThrow(
      /url must be an absolute http\(s\) URL/,
    );
    expect(() => new HttpTickerFeed({ name: 't', url: 'ftp://127.0.0.1/x', pricePath: 'p' })).toThrow(
      /url must use http or https/,
    );
    expect(() => new HttpTickerFeed({ name: 't', url: 'http://127.0.0.1/', pricePath: 'a..b' })).toThrow(
      /pricePath must be a dotted path/,
    );
  });
});
