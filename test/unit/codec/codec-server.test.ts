import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AesGcmPayloadCodec } from '../../../codec/encryption-codec';
import { parseKeyRing } from '../../../codec/key-ring';
import { PayloadJsonError, payloadsFromJson, payloadsToJson } from '../../../codec/payload-json';
import { startCodecServer, type RunningCodecServer } from '../../../codec/server';
import { loadCodecServerConfig } from '../../../codec/server-config';

const TOKEN = randomBytes(24).toString('hex');
const UI = 'http://localhost:8233';
const keys = parseKeyRing(`k1:${randomBytes(32).toString('base64')}`);
const codec = new AesGcmPayloadCodec(keys);

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

describe('codec server bodies (protobuf JSON of Payloads)', () => {
  it('round-trip any payload through JSON', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            metadata: fc.dictionary(fc.string({ minLength: 1 }), fc.uint8Array({ maxLength: 30 }), {
              maxKeys: 3,
            }),
            data: fc.uint8Array({ maxLength: 100 }),
          }),
          { maxLength: 4 },
        ),
        (payloads) => {
          const back = payloadsFromJson(JSON.parse(JSON.stringify(payloadsToJson(payloads))));
          expect(back.map((p) => payloadsToJson([p]))).toEqual(payloads.map((p) => payloadsToJson([p])));
        },
      ),
    );
  });

  it('reads URL-safe and unpadded base64 and omitted fields, as protobuf JSON allows', () => {
    const [p] = payloadsFromJson({ payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg' }, data: '-_8' }] });
    expect(text(p!.metadata!.encoding)).toBe('json/plain');
    expect([...p!.data!]).toEqual([0xfb, 0xff]);
    expect(payloadsFromJson({ payloads: [{}] })[0]!.data).toHaveLength(0);
    expect(payloadsFromJson({})).toEqual([]);
    expect(payloadsFromJson({ payloads: null })).toEqual([]);
  });

  it.each([
    [null, /must be a JSON object \{"payloads"/],
    [[], /must be a JSON object/],
    [{ payloads: {} }, /"payloads" must be a list/],
    [{ payloads: [1] }, /payloads\[0\] must be an object/],
    [{ payloads: [{ data: 5 }] }, /payloads\[0\]\.data must be a base64 string/],
    [{ payloads: [{ data: 'not base64!' }] }, /payloads\[0\]\.data must be a base64 string/],
    [{ payloads: [{ data: 'A' }] }, /must be a base64 string/],
    [{ payloads: [{ metadata: [] }] }, /payloads\[0\]\.metadata must be an object/],
    [{ payloads: [{ metadata: { encoding: 1 } }] }, /metadata\["encoding"\] must be a base64 string/],
    [{ payloads: [{ data: '', extra: 1 }] }, /unknown field "extra"/],
    [{ payloads: new Array(10_001).fill({}) }, /at most 10000 payloads/],
  ])('refuses %j', (body, problem) => {
    expect(() => payloadsFromJson(body)).toThrow(PayloadJsonError);
    expect(() => payloadsFromJson(body)).toThrow(problem);
  });
});

describe('codec server over HTTP', () => {
  let server: RunningCodecServer;
  beforeAll(async () => {
    server = await startCodecServer({
      codec,
      token: TOKEN,
      allowedOrigins: [UI],
      maxBodyBytes: 64 * 1024,
      host: '127.0.0.1',
      port: 0,
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${TOKEN}`,
        'X-Namespace': 'default',
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const encrypted = async (value: unknown): Promise<Payload> =>
    (await codec.encode([defaultPayloadConverter.toPayload(value)]))[0]!;

  it('decodes what the workers encrypted and encodes what a CLI sends, at any path depth', async () => {
    // undefined converts to a payload without data: its decoded message has no bytes field at all.
    const values = [{ poolId: 'secret-pool' }, 42, undefined, null, ''];
    const stored = payloadsToJson(await Promise.all(values.map(encrypted)));
    const res = await post('/default/decode', stored);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const decoded = payloadsFromJson(await res.json());
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(values);

    const plain = payloadsToJson([defaultPayloadConverter.toPayload('from the cli')]);
    const enc = await post('/encode', plain);
    expect(enc.status).toBe(200);
    const [sealed] = payloadsFromJson(await enc.json());
    expect(text(sealed!.metadata!.encoding)).toBe('binary/encrypted');
    expect(defaultPayloadConverter.fromPayload((await codec.decode([sealed!]))[0]!)).toBe('from the cli');
  });

  it('refuses a missing or wrong bearer token without decoding anything', async () => {
    const stored = payloadsToJson([await encrypted({ poolId: 'secret-pool' })]);
    for (const authorization of [
      '',
      'Bearer',
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(1)}`,
      TOKEN,
      `Basic ${TOKEN}`,
    ]) {
      const res = await post('/decode', stored, { Authorization: authorization });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.text()).not.toContain('secret-pool');
    }
  });

  it('answers the Web UI preflight for its origin only, and refuses other origins', async () => {
    const preflight = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        Origin: UI,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type,x-namespace',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toBe(
      'Authorization, Content-Type, X-Namespace',
    );

    const fromUi = await post('/decode', payloadsToJson([]), { Origin: UI });
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI);

    for (const origin of ['http://evil.example', 'http://localhost:8234', 'null']) {
      const pre = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { Origin: origin } });
      expect(pre.status).toBe(403);
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      const res = await post('/decode', payloadsToJson([await encrypted('secret-pool')]), { Origin: origin });
      expect(res.status).toBe(403);
      expect(await res.text()).not.toContain('secret-pool');
    }
  });

  it('refuses bodies over the limit, wrong content types, methods and paths', async () => {
    const big = JSON.stringify({ payloads: [{ data: Buffer.alloc(70 * 1024).toString('base64') }] });
    expect((await post('/decode', big)).status).toBe(413);
    expect((await post('/decode', '{}', { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await post('/decode', '{not json')).status).toBe(400);
    expect((await post('/decrypt', payloadsToJson([]))).status).toBe(404);
    const get = await fetch(`${server.url}/decode`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(get.status).toBe(405);
  });

  it('answers 400 naming the key id a payload needs when this server lacks it', async () => {
    const other = new AesGcmPayloadCodec(parseKeyRing(`k7:${randomBytes(32).toString('base64')}`));
    const [foreign] = await other.encode([defaultPayloadConverter.toPayload('x')]);
    const res = await post('/decode', payloadsToJson([foreign!]));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('key id "k7", which is not configured');
  });
});

describe('codec server configuration', () => {
  const keysEnv = { LPMM_PAYLOAD_KEYS: `k1:${randomBytes(32).toString('base64')}` };

  it('defaults to loopback, port 8081, the dev Web UI origins and no token', () => {
    const c = loadCodecServerConfig(keysEnv);
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8081, token: undefined });
    expect(c.allowedOrigins).toEqual(['http://localhost:8233', 'http://127.0.0.1:8233']);
  });

  it('needs the keys, and a token as soon as it listens beyond loopback', () => {
    expect(() => loadCodecServerConfig({})).toThrow(/LPMM_PAYLOAD_KEYS is not set/);
    expect(() => loadCodecServerConfig({ ...keysEnv, LPMM_CODEC_HOST: '0.0.0.0' })).toThrow(
      /LPMM_CODEC_HOST=0\.0\.0\.0 reaches beyond this machine, so LPMM_CODEC_TOKEN must be set/,
    );
    expect(
      loadCodecServerConfig({ ...keysEnv, LPMM_CODEC_HOST: '0.0.0.0', LPMM_CODEC_TOKEN: TOKEN }).token,
    ).toBe(TOKEN);
  });

  it.each([
    [{ LPMM_CODEC_TOKEN: 'short' }, /LPMM_CODEC_TOKEN must be at least 16/],
    [{ LPMM_CODEC_PORT: '70000' }, /LPMM_CODEC_PORT must be a port number/],
    [{ LPMM_CODEC_CORS_ORIGINS: '*' }, /"\*" is not an origin/],
    [{ LPMM_CODEC_CORS_ORIGINS: 'http://localhost:8233/' }, /is not an origin/],
    [{ LPMM_CODEC_MAX_BODY_BYTES: '10' }, /LPMM_CODEC_MAX_BODY_BYTES must be an integer/],
  ])('refuses %j with a message naming the variable', (env, problem) => {
    expect(() => loadCodecServerConfig({ ...keysEnv, ...env })).toThrow(problem);
  });

  it('never repeats the token in an error', () => {
    const token = 'short secret tok';
    let message = '';
    try {
      loadCodecServerConfig({ ...keysEnv, LPMM_CODEC_TOKEN: token });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/LPMM_CODEC_TOKEN/);
    expect(message).not.toContain(token);
  });
});
