import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MarketMakingClient, marketMakerWorkflowId, spreadSagaWorkflowId } from '../../client';
import { payloadDataConverter } from '../../codec/data-converter';
import { parseKeyRing } from '../../codec/key-ring';
import { payloadsFromJson, payloadsToJson } from '../../codec/payload-json';
import { findTemporalCli } from '../../devenv/temporal-cli';
import { createFundedPool, seedTicks, startTicker, useMarketHarness, waitFor } from '../helpers/market';
import { spawnCodecServer, type CodecServerProcess } from '../helpers/codec-server';
import { runCommand } from '../helpers/processes';

type History = proto.temporal.api.history.v1.IHistory;
const HistoryMessage = proto.temporal.api.history.v1.History;

const key = () => randomBytes(32).toString('base64');
const K1 = key();
const K2 = key();
const KEYS = `k2:${K2},k1:${K1}`;
const TOKEN = randomBytes(24).toString('hex');

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

/** Every Payload in a history (or any proto object), with the path where it sits. */
function payloadsIn(node: unknown, path = '', out: Array<{ path: string; payload: Payload }> = []) {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return out;
  const obj = node as Record<string, unknown>;
  if (obj.data instanceof Uint8Array && typeof obj.metadata === 'object' && obj.metadata !== null) {
    out.push({ path, payload: obj as Payload });
    return out;
  }
  for (const [k, v] of Object.entries(obj)) payloadsIn(v, `${path}.${k}`, out);
  return out;
}

/**
 * Payloads the codec never sees: search attributes (Temporal indexes them in plain text) and the
 * SDK core's own marker bookkeeping (a local activity's type, sequence number and times; a
 * patch's id). A local activity's result is a marker detail too, and is encrypted.
 */
function isIndexedOrBookkeeping(path: string): boolean {
  return (
    path.includes('searchAttributes') ||
    /markerRecordedEventAttributes\.details\.(data|patch[-_]data)\./.test(path)
  );
}

/** Every Failure in a history: what carries a message and a stack trace. */
function failuresIn(node: unknown, out: Array<Record<string, unknown>> = []) {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return out;
  const obj = node as Record<string, unknown>;
  if (typeof obj.message === 'string' && 'stackTrace' in obj) out.push(obj);
  for (const v of Object.values(obj)) failuresIn(v, out);
  return out;
}

/**
 * The history as the server stores it, minus what Temporal must read in plain text to do its job:
 * search attributes (it indexes them), workflow ids (which name the pool) and the SDK core's
 * marker bookkeeping.
 */
function storedBytesWithoutIndexedFields(history: History): Buffer {
  const copy = HistoryMessage.decode(HistoryMessage.encode(history).finish());
  const strip = (node: unknown) => {
    if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return;
    const obj = node as Record<string, unknown>;
    delete obj.searchAttributes;
    delete obj.upsertWorkflowSearchAttributesEventAttributes;
    delete obj.workflowId;
    const marker = obj.markerRecordedEventAttributes as { details?: Record<string, unknown> } | undefined;
    delete marker?.details?.data;
    delete marker?.details?.patch_data;
    delete marker?.details?.['patch-data'];
    for (const v of Object.values(obj)) strip(v);
  };
  strip(copy);
  return Buffer.from(HistoryMessage.encode(copy).finish());
}

describe('payload encryption: the Temporal server stores only ciphertext', () => {
  const m = useMarketHarness('codec', { dataConverter: payloadDataConverter(parseKeyRing(KEYS)) });
  let codecServer: CodecServerProcess;

  beforeAll(async () => {
    codecServer = await spawnCodecServer({ LPMM_PAYLOAD_KEYS: KEYS, LPMM_CODEC_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await codecServer?.kill();
  });

  const decodeOverHttp = (payloads: Payload[], token = TOKEN) =>
    fetch(`${codecServer.url}/decode`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Namespace': m.temporal.namespace,
        Authorization: `Bearer ${token}`,
      },
      body: JSON.stringify(payloadsToJson(payloads)),
    });

  /** The pool the first test ran and stopped, for the tests that read its history. */
  let stopped: string | undefined;
  const stoppedPool = () => {
    if (!stopped) throw new Error('the pool run test did not complete');
    return stopped;
  };

  it('a pool run leaves only encrypted inputs, results, signals, updates, heartbeats and failures', async () => {
    const poolId = `secret-pool-${randomBytes(4).toString('hex')}`;
    const pauseReason = `secret-reason-${randomBytes(4).toString('hex')}`;
    const { feed } = await createFundedPool(m.client, { poolId });
    await seedTicks(m.db, feed, Array(30).fill('2000'));
    const ticker = startTicker(m.db, feed, '2000');
    const plain = m.temporal.client; // no codec: what anyone reading the server sees
    let live;
    try {
      await m.client.startPool(poolId, { refreshIntervalMs: 500 });
      // The encrypting client reads the session's heartbeat: the codec decodes it.
      live = await waitFor('quoting', async () => {
        const s = await m.client.status(poolId);
        return s.sessionRunning && s.bids.length > 0 ? s : undefined;
      });
      const heartbeat = (await plain.workflow.getHandle(marketMakerWorkflowId(poolId)).describe()).raw
        .pendingActivities?.[0]?.heartbeatDetails?.payloads;
      expect(heartbeat?.length).toBeGreaterThan(0);
      for (const p of heartbeat!) {
        expect(text(p.metadata?.encoding)).toBe('binary/encrypted');
        expect(Buffer.from(p.data!).includes(poolId)).toBe(false);
      }
      await m.client.pause(poolId, pauseReason);
      await waitFor('paused', async () => (await m.client.status(poolId)).state === 'paused');
      await m.client.updateConfig(poolId, { ladder: { levels: 2 } });
      // An update the workflow refuses: its failure message quotes the value.
      await expect(m.client.updateConfig(poolId, { ladder: { levels: 'secret-levels' } })).rejects.toThrow(
        /levels/,
      );
      await m.client.resume(poolId);
    } finally {
      await m.client.stopPool(poolId, pauseReason);
      await ticker.stop();
    }
    expect(live.poolId).toBe(poolId);
    stopped = poolId;

    for (const workflowId of [marketMakerWorkflowId(poolId), spreadSagaWorkflowId(poolId)]) {
      const history = await plain.workflow.getHandle(workflowId).fetchHistory();
      const found = payloadsIn(history).filter(({ path }) => !isIndexedOrBookkeeping(path));
      expect(found.length).toBeGreaterThan(3);
      for (const { path, payload } of found) {
        expect({ path, encoding: text(payload.metadata?.encoding) }).toEqual({
          path,
          encoding: 'binary/encrypted',
        });
        expect(text(payload.metadata?.['encryption-key-id'])).toBe('k2');
      }
      for (const failure of failuresIn(history)) {
        expect(failure.message).toBe('Encoded failure');
        expect(failure.stackTrace).toBe('');
      }
      const stored = storedBytesWithoutIndexedFields(history);
      for (const secret of [poolId, pauseReason, 'secret-levels', 'json/plain', '"ladder"']) {
        expect({ workflowId, secret, found: stored.includes(secret) }).toEqual({
          workflowId,
          secret,
          found: false,
        });
      }
    }
  });

  it('workflow and activity failures keep their messages and stack traces inside the ciphertext', async () => {
    const poolId = `missing-secret-${randomBytes(4).toString('hex')}`;
    const handle = await m.client.temporal.workflow.start('MarketMakerWorkflow', {
      taskQueue: m.temporal.taskQueue,
      workflowId: marketMakerWorkflowId(poolId),
      args: [{ poolId }],
    });
    // The encrypting client reads the failure as it was raised.
    await expect(handle.result()).rejects.toMatchObject({
      cause: { message: expect.stringContaining(poolId) },
    });
    const history = await m.temporal.client.workflow.getHandle(handle.workflowId).fetchHistory();
    const eventTypes = (history.events ?? []).map((e) =>
      Object.keys(e).find((k) => k.endsWith('Attributes')),
    );
    // The pool lookup is a local activity: its failure sits in a marker.
    expect(eventTypes).toContain('markerRecordedEventAttributes');
    expect(eventTypes).toContain('workflowExecutionFailedEventAttributes');
    const failures = failuresIn(history);
    expect(failures.length).toBeGreaterThanOrEqual(2);
    for (const failure of failures) {
      expect(failure.message).toBe('Encoded failure');
      expect(failure.stackTrace).toBe('');
      const attrs = failure.encodedAttributes as Payload;
      expect(text(attrs.metadata?.encoding)).toBe('binary/encrypted');
    }
    const stored = storedBytesWithoutIndexedFields(history);
    expect(stored.includes(poolId)).toBe(false);
    expect(stored.includes('does not exist')).toBe(false);
  });

  it('the codec server decodes the stored payloads for a holder of the token, and refuses anyone else', async () => {
    const poolId = stoppedPool();
    const history = await m.temporal.client.workflow.getHandle(marketMakerWorkflowId(poolId)).fetchHistory();
    const stored = payloadsIn(history)
      .filter(({ path }) => !isIndexedOrBookkeeping(path))
      .map(({ payload }) => payload);
    const res = await decodeOverHttp(stored);
    expect(res.status).toBe(200);
    const decoded = payloadsFromJson(await res.json());
    expect(decoded.every((p) => text(p.metadata?.encoding) !== 'binary/encrypted')).toBe(true);
    const plaintext = decoded.map((p) => text(p.data)).join('\n');
    expect(plaintext).toContain(`"poolId":"${poolId}"`);

    const refused = await decodeOverHttp(stored, randomBytes(24).toString('hex'));
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain(poolId);
  });

  it('the temporal CLI shows the plaintext through the codec server, and only ciphertext without it', async () => {
    const poolId = stoppedPool();
    const cli = findTemporalCli();
    if (!cli) throw new Error('No Temporal CLI found (the global setup should have resolved one).');
    const show = (extra: string[]) =>
      runCommand(cli.path, [
        'workflow',
        'show',
        '--workflow-id',
        marketMakerWorkflowId(poolId),
        '--address',
        m.temporal.address,
        '--namespace',
        m.temporal.namespace,
        '-o',
        'json',
        ...extra,
      ]);
    const decoded = await show(['--codec-endpoint', codecServer.url, '--codec-auth', `Bearer ${TOKEN}`]);
    expect(decoded.code).toBe(0);
    expect(decoded.stdout).toContain(poolId);
    const raw = await show([]);
    expect(raw.code).toBe(0);
    // Without the codec the CLI prints the stored metadata in base64.
    expect(raw.stdout).toContain(Buffer.from('binary/encrypted').toString('base64'));
    // Only search attributes and workflow ids, which Temporal reads in plain text, name the pool.
    const withoutIndexed = JSON.stringify(JSON.parse(raw.stdout), (k, v: unknown) =>
      k === 'searchAttributes' || k === 'upsertWorkflowSearchAttributesEventAttributes' || k === 'workflowId'
        ? undefined
        : v,
    );
    expect(withoutIndexed).not.toContain(poolId);
  });

  it('a client without the key that encrypted a result is told which key to configure', async () => {
    const poolId = stoppedPool();
    const outsider = await MarketMakingClient.connect({
      address: m.temporal.address,
      namespace: m.temporal.namespace,
      taskQueue: m.temporal.taskQueue,
      payloadKeys: `k1:${K1}`,
    });
    try {
      await expect(outsider.marketMaker(poolId).result()).rejects.toThrow(
        /key id "k2", which is not configured: payloadKeys here lists only "k1"/,
      );
    } finally {
      await outsider.close();
    }
  });
});
