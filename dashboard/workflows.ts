import type { MarketMakingClient, PoolStatus, SpreadSagaStatus } from '../client';
import { marketMakerWorkflowId, spreadSagaWorkflowId } from '../workflows/definitions';

/*
 * What Temporal says about each pool, through the client library: the market makers' states from
 * one visibility list, and a pool's status (supervisor query plus the session's heartbeat) when a
 * page shows it. Both are cached for a moment, so any number of open pages costs Temporal a few
 * calls a second at most.
 */

export interface WorkflowLinks {
  marketMaker: { id: string; url: string | null };
  spreadSaga: { id: string; url: string | null };
}

export interface PoolWorkflowView {
  /** The market maker's state (starting, quoting, paused, stopping, stopped), or why it is unknown. */
  state: string;
  runStatus: string | null;
  status: PoolStatus | null;
  saga: Pick<SpreadSagaStatus, 'lastError'> | null;
  error: string | null;
  links: WorkflowLinks;
}

interface Cached<T> {
  at: number;
  value: Promise<T>;
}

const LIST_TTL_MS = 2000;
/** A pool page's status is this fresh; the overview's may be older, refreshed in the background. */
const STATUS_TTL_MS = 2000;
const OVERVIEW_STATUS_TTL_MS = 10_000;
const STATUS_CONCURRENCY = 8;

export class WorkflowView {
  private list: Cached<Map<string, { state: string; runStatus: string }>> | undefined;
  private readonly statuses = new Map<
    string,
    Cached<{ status: PoolStatus | null; error: string | null }> & {
      settled?: { status: PoolStatus | null; error: string | null };
    }
  >();

  constructor(
    private readonly client: MarketMakingClient | undefined,
    /** The Temporal Web UI, e.g. http://127.0.0.1:8233; links are left out without it. */
    private readonly uiUrl: string | undefined,
    private readonly namespace: string,
  ) {}

  links(poolId: string): WorkflowLinks {
    const link = (id: string) =>
      this.uiUrl
        ? `${this.uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(this.namespace)}/workflows/${encodeURIComponent(id)}`
        : null;
    const mm = marketMakerWorkflowId(poolId);
    const saga = spreadSagaWorkflowId(poolId);
    return { marketMaker: { id: mm, url: link(mm) }, spreadSaga: { id: saga, url: link(saga) } };
  }

  private states() {
    const client = this.client;
    if (!client) return Promise.resolve(new Map<string, { state: string; runStatus: string }>());
    if (!this.list || Date.now() - this.list.at > LIST_TTL_MS) {
      const value = client.listMarketMakers().then((rows) => {
        // Newest run first: continued and restarted market makers list every run.
        const out = new Map<string, { state: string; runStatus: string }>();
        for (const r of rows)
          if (!out.has(r.poolId)) out.set(r.poolId, { state: r.state, runStatus: r.runStatus });
        return out;
      });
      value.catch(() => (this.list = undefined));
      this.list = { at: Date.now(), value };
    }
    return this.list.value;
  }

  /**
   * A pool's status, at most `maxAgeMs` old. With `stale`, an older answer is returned at once and
   * refreshed behind it: the overview of many pools never waits for (or hammers) Temporal.
   */
  private status(poolId: string, maxAgeMs: number, stale: boolean) {
    const client = this.client;
    if (!client) return Promise.resolve({ status: null, error: 'no Temporal connection' });
    const hit = this.statuses.get(poolId);
    if (hit && Date.now() - hit.at <= maxAgeMs) return hit.value;
    const value = client.status(poolId).then(
      (status) => ({ status, error: null }),
      (err: Error) => ({ status: null, error: describe(err) }),
    );
    const previous = hit?.settled;
    const entry: Cached<{ status: PoolStatus | null; error: string | null }> & {
      settled?: { status: PoolStatus | null; error: string | null };
    } = { at: Date.now(), value, settled: previous };
    void value.then((v) => (entry.settled = v));
    this.statuses.set(poolId, entry);
    return stale && previous ? Promise.resolve(previous) : value;
  }

  /** The workflow view of each pool, `STATUS_CONCURRENCY` status calls at a time. */
  async forPools(
    poolIds: string[],
    withStatus: boolean,
    freshness: 'page' | 'overview' = 'page',
  ): Promise<Map<string, PoolWorkflowView>> {
    const states = await this.states().catch((err: Error) => err);
    const out = new Map<string, PoolWorkflowView>();
    const queue = [...poolIds];
    const one = async (poolId: string) => {
      const listed = states instanceof Error ? undefined : states.get(poolId);
      const running = listed?.runStatus === 'RUNNING';
      const s =
        withStatus && running
          ? await (freshness === 'page'
              ? this.status(poolId, STATUS_TTL_MS, false)
              : this.status(poolId, OVERVIEW_STATUS_TTL_MS, true))
          : { status: null, error: null };
      out.set(poolId, {
        state: states instanceof Error ? 'unknown' : (s.status?.state ?? listed?.state ?? 'not started'),
        runStatus: listed?.runStatus ?? null,
        status: s.status,
        saga: null,
        error: states instanceof Error ? `Temporal: ${describe(states)}` : s.error,
        links: this.links(poolId),
      });
    };
    const workers = Array.from({ length: Math.min(STATUS_CONCURRENCY, queue.length) }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) await one(id);
    });
    await Promise.all(workers);
    return out;
  }

  async forPool(poolId: string): Promise<PoolWorkflowView> {
    const view = (await this.forPools([poolId], true)).get(poolId)!;
    if (this.client && view.runStatus === 'RUNNING') {
      view.saga = await this.client.spreadStatus(poolId).then(
        (s) => ({ lastError: s.lastError }),
        () => null,
      );
    }
    return view;
  }

  get operable(): boolean {
    return this.client !== undefined;
  }

  async pause(poolId: string, reason: string): Promise<void> {
    await this.need().pause(poolId, reason);
    this.forget(poolId);
  }

  async resume(poolId: string): Promise<void> {
    await this.need().resume(poolId);
    this.forget(poolId);
  }

  private forget(poolId: string) {
    this.statuses.delete(poolId);
    this.list = undefined;
  }

  private need(): MarketMakingClient {
    if (!this.client) throw new Error('the dashboard has no Temporal connection');
    return this.client;
  }
}

function describe(err: Error): string {
  return (err.message || String(err)).split('\n')[0]!.slice(0, 300);
}
