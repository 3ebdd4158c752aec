import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { MarketMakingClient } from '../client';
import type { Db } from '../db/connection';
import type { Database } from '../db/types';
import { Big } from '../domain/money';
import { listResults, readResults } from './backtests';
import { LiveHub, type LiveOptions } from './live';
import { BadRequest, parsePoolParam, parseResultsFileParam, parseTimeRange } from './params';
import { readOverview, readPoolInfo, readPoolWindow, type Cursor, type OverviewRow } from './queries';
import { WorkflowView, type PoolWorkflowView } from './workflows';

/*
 * The dashboard's HTTP server (node:http, no framework): three pages, their JSON API, two
 * server-sent-event streams, the chart library straight from node_modules, and, only when a token
 * is configured, pause/resume through the client library. It reads Postgres as the read-only role
 * and binds to 127.0.0.1 unless told otherwise.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const PUBLIC = join(HERE, 'public');
const require = createRequire(import.meta.url);

export interface DashboardOptions {
  /** Postgres as `lpmm_dashboard` (or any role: every session is made read-only anyway). */
  databaseUrl: string;
  /** The client library, for workflow states and operator commands; pages work without it. */
  client?: MarketMakingClient;
  namespace?: string;
  temporalUiUrl?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Enables pause/resume; without it the dashboard has no write path at all. */
  operatorToken?: string;
  resultsDir?: string;
  live?: LiveOptions;
  log?: (line: string) => void;
}

export interface RunningDashboard {
  url: string;
  server: Server;
  db: Db;
  live: LiveHub;
  close(): Promise<void>;
}

/** A Kysely over a pool whose every session is read-only, whatever role the URL names. */
export function readOnlyDb(url: string, max = 4): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    application_name: 'lpmm-dashboard',
    options: '-c default_transaction_read_only=on',
    statement_timeout: 10_000,
    idle_in_transaction_session_timeout: 30_000,
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
  });
  pool.on('error', () => {});
  pool.on('connect', (c) => c.on('error', () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(text);
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function errorPage(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(
    `<!doctype html><meta charset="utf-8"><title>${status}</title><link rel="stylesheet" href="/static/style.css">` +
      `<main class="error"><h1>${status}</h1><p>${escapeHtml(message)}</p><p><a href="/">Back to the overview</a></p></main>`,
  );
}

function inventoryShare(row: OverviewRow): string | null {
  if (!row.mid) return null;
  const base = new Big(row.reserveBase).times(row.mid);
  const total = base.plus(row.reserveQuote);
  return total.gt(0) ? base.div(total).round(6).toFixed() : null;
}

/** One overview line: the pool as Postgres has it and its market maker as Temporal has it. */
function overviewLine(row: OverviewRow, wf: PoolWorkflowView | undefined) {
  const st = wf?.status;
  return {
    ...row,
    inventoryShare: st?.inventoryShare ?? inventoryShare(row),
    state: wf?.state ?? 'unknown',
    runStatus: wf?.runStatus ?? null,
    pnl: st?.pnl ?? null,
    risk: st?.lastRisk ?? null,
    pauseReason: st?.pauseReason ?? null,
    workflowError: wf?.error ?? st?.lastError ?? null,
    links: wf?.links ?? null,
  };
}

export async function startDashboard(opts: DashboardOptions): Promise<RunningDashboard> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const db = readOnlyDb(opts.databaseUrl);
  const workflows = new WorkflowView(opts.client, opts.temporalUiUrl, opts.namespace ?? 'default');
  const live = new LiveHub(db, opts.databaseUrl, { log, ...opts.live });
  const resultsDir = opts.resultsDir ?? 'backtest-results';
  const token = opts.operatorToken ? Buffer.from(opts.operatorToken) : undefined;
  // The standalone ES module build (fancy-canvas included), which the package's exports do not list.
  const chartLibrary = join(
    dirname(require.resolve('lightweight-charts/package.json')),
    'dist',
    'lightweight-charts.standalone.production.mjs',
  );

  // The overview is read once per refresh however many pages show it.
  let overviewCache: { at: number; value: Promise<unknown> } | undefined;
  const overview = () => {
    if (!overviewCache || Date.now() - overviewCache.at > 500) {
      const value = (async () => {
        const rows = await readOverview(db);
        const wf = await workflows.forPools(
          rows.map((r) => r.id),
          true,
          'overview',
        );
        return { pools: rows.map((r) => overviewLine(r, wf.get(r.id))), atMs: Date.now() };
      })();
      value.catch(() => (overviewCache = undefined));
      overviewCache = { at: Date.now(), value };
    }
    return overviewCache.value;
  };

  const page = async (res: ServerResponse, name: string) => {
    const html = (await readFile(join(PUBLIC, name), 'utf8')).replace(
      '<!--operator-->',
      token && workflows.operable ? '<meta name="operator" content="token">' : '',
    );
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  };

  const sse = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    const send = (event: string, data: unknown) =>
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    const cleanups: Array<() => void> = [() => clearInterval(keepAlive)];
    req.on('close', () => cleanups.forEach((f) => f()));
    return { send, onClose: (f: () => void) => cleanups.push(f) };
  };

  const cursorParam = (q: URLSearchParams): Cursor => {
    const int = (name: string) => {
      const raw = q.get(name);
      if (raw === null || !/^\d{1,15}$/.test(raw)) {
        throw new BadRequest(
          `${name} must be a non-negative integer (the cursor the page's last load returned)`,
        );
      }
      return Number(raw);
    };
    return { pool: int('pool'), mm: int('mm'), tradesMs: int('trades') };
  };

  const knownPool = async (raw: string) => {
    const poolId = parsePoolParam(raw);
    const info = await readPoolInfo(db, poolId);
    if (!info) throw new BadRequest(`there is no pool "${poolId}"`, 404);
    return info;
  };

  const authorize = (req: IncomingMessage) => {
    if (!token || !workflows.operable)
      throw new BadRequest('operator commands are off on this dashboard', 404);
    const given = Buffer.from(String(req.headers['x-dashboard-token'] ?? ''));
    if (given.length !== token.length || !timingSafeEqual(given, token)) {
      throw new BadRequest('a valid X-Dashboard-Token header is needed for operator commands', 401);
    }
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://dashboard.local');
    const path = url.pathname;
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const isApi = path.startsWith('/api/');
    try {
      if (method === 'POST') {
        const m = /^\/api\/pools\/([^/]+)\/(pause|resume)$/.exec(path);
        if (!m) throw new BadRequest(`no such command: POST ${path}`, 404);
        authorize(req);
        const pool = await knownPool(m[1]!);
        try {
          if (m[2] === 'pause') await workflows.pause(pool.id, 'paused from the dashboard');
          else await workflows.resume(pool.id);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) {
            throw new BadRequest(`the market maker of pool "${pool.id}" is not running; start it first`, 409);
          }
          throw err;
        }
        return json(res, 202, { ok: true, poolId: pool.id, command: m[2] });
      }
      if (method !== 'GET' && method !== 'HEAD') throw new BadRequest(`${method} is not supported here`, 405);

      if (path === '/' || path === '/index.html') return await page(res, 'overview.html');
      if (path === '/backtests') return await page(res, 'backtests.html');
      let m = /^\/pools\/([^/]+)$/.exec(path);
      if (m) {
        await knownPool(m[1]!);
        parseTimeRange(q, Date.now());
        return await page(res, 'pool.html');
      }
      m = /^\/static\/([a-z0-9-]+\.(?:js|css))$/.exec(path);
      if (m) {
        const body = await readFile(join(PUBLIC, m[1]!)).catch(() => undefined);
        if (!body) throw new BadRequest(`no static file ${m[1]}`, 404);
        res.writeHead(200, { 'content-type': CONTENT_TYPES[m[1]!.slice(m[1]!.lastIndexOf('.'))]! });
        return res.end(body);
      }
      if (path === '/vendor/lightweight-charts.mjs') {
        res.writeHead(200, { 'content-type': CONTENT_TYPES['.mjs']!, 'cache-control': 'max-age=3600' });
        return res.end(await readFile(chartLibrary));
      }

      if (path === '/api/health') return json(res, 200, { ok: true, live: live.stats });
      if (path === '/api/overview') return json(res, 200, await overview());
      if (path === '/api/overview/stream') {
        const s = sse(req, res);
        const push = () =>
          overview().then(
            (o) => s.send('overview', o),
            () => {},
          );
        s.onClose(live.subscribeOverview(push));
        return;
      }
      m = /^\/api\/pools\/([^/]+)$/.exec(path);
      if (m) {
        const pool = await knownPool(m[1]!);
        const range = parseTimeRange(q, Date.now());
        const [window, wf] = await Promise.all([
          readPoolWindow(db, pool.id, range),
          workflows.forPool(pool.id),
        ]);
        return json(res, 200, {
          pool,
          range,
          window,
          workflow: wf,
          operator: Boolean(token && workflows.operable),
        });
      }
      m = /^\/api\/pools\/([^/]+)\/status$/.exec(path);
      if (m) {
        const pool = await knownPool(m[1]!);
        return json(res, 200, { pool, workflow: await workflows.forPool(pool.id) });
      }
      m = /^\/api\/pools\/([^/]+)\/stream$/.exec(path);
      if (m) {
        const pool = await knownPool(m[1]!);
        const cursor = cursorParam(q);
        const s = sse(req, res);
        s.onClose(live.subscribePool(pool.id, cursor, (d) => s.send('delta', d)));
        return;
      }
      if (path === '/api/backtests')
        return json(res, 200, { dir: resultsDir, files: await listResults(resultsDir) });
      m = /^\/api\/backtests\/([^/]+)$/.exec(path);
      if (m) {
        const file = parseResultsFileParam(m[1]!);
        let view;
        try {
          view = await readResults(resultsDir, file);
        } catch (err) {
          throw new BadRequest((err as Error).message, 422);
        }
        if (!view) throw new BadRequest(`there is no results file "${file}" in ${resultsDir}`, 404);
        return json(res, 200, view);
      }
      throw new BadRequest(`nothing here: ${path}`, 404);
    } catch (err) {
      if (err instanceof BadRequest) {
        return isApi
          ? json(res, err.status, { error: err.message })
          : errorPage(res, err.status, err.message);
      }
      log(`dashboard: ${method} ${path} failed: ${(err as Error).stack ?? String(err)}`);
      const message = `the dashboard could not answer: ${(err as Error).message}`;
      if (res.headersSent) return res.end();
      return isApi ? json(res, 503, { error: message }) : errorPage(res, 503, message);
    }
  };

  await live.start();
  const server = createServer((req, res) => void route(req, res));
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    server,
    db,
    live,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await live.close();
      await db.destroy();
    },
  };
}

/** Warns when the dashboard's login could write: it is meant to run as lpmm_dashboard. */
export async function describeLogin(db: Db): Promise<string | null> {
  const { rows } = await sql<{ who: string; writes: boolean }>`
    select current_user as who,
           has_table_privilege(current_user, 'orders', 'INSERT') or has_table_privilege(current_user, 'pools', 'UPDATE') as writes`.execute(
    db,
  );
  const r = rows[0];
  return r?.writes
    ? `the dashboard logs in as "${r.who}", which may write (its sessions are read-only all the same); use the lpmm_dashboard role`
    : null;
}
