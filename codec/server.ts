import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { PayloadDecryptionError } from './encryption-codec';
import { PayloadJsonError, payloadsFromJson, payloadsToJson } from './payload-json';

/*
 * The codec server protocol the Temporal Web UI and CLI speak: POST .../encode and .../decode with
 * a Payloads message as protobuf JSON, answered in kind; only the last path segment counts. Every
 * caller is treated as hostile: browsers only from the configured origins, a bearer token checked
 * in constant time when one is configured, bodies bounded, and no key, token or payload content
 * in a log line.
 */

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** When set, every encode and decode must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Origins (scheme://host:port) whose pages may call the server, e.g. the Temporal Web UI's. */
  allowedOrigins: readonly string[];
  maxBodyBytes: number;
  log?: (message: string, meta: Record<string, unknown>) => void;
}

const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Namespace';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Compares digests so neither the token's content nor its length leaks through timing. */
function bearerMatches(header: string | undefined, expectedDigest: Buffer): boolean {
  const presented = /^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '';
  return timingSafeEqual(digest(presented), expectedDigest);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) {
    return Promise.reject(new HttpError(413, `the body exceeds ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new HttpError(413, `the body exceeds ${limit} bytes`));
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function codecRequestHandler(opts: CodecServerOptions) {
  const tokenDigest = opts.token === undefined ? undefined : digest(opts.token);
  const origins = new Set(opts.allowedOrigins);
  const log = opts.log ?? (() => {});

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<{ payloads?: number }> => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      // A page from anywhere else must not use this server as a decryption oracle.
      if (!origins.has(origin)) {
        throw new HttpError(
          403,
          `origin ${origin.slice(0, 200)} is not allowed; add it to LPMM_CODEC_CORS_ORIGINS to let its pages decode`,
        );
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    res.setHeader('Vary', 'Origin');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return {};
    }
    const path = new URL(req.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
    const action = path.slice(path.lastIndexOf('/') + 1);
    if (action !== 'encode' && action !== 'decode') {
      throw new HttpError(404, 'not found: POST to .../encode or .../decode');
    }
    if (req.method !== 'POST') {
      throw new HttpError(405, `${action} takes POST`, { Allow: 'POST, OPTIONS' });
    }
    if (tokenDigest && !bearerMatches(req.headers.authorization, tokenDigest)) {
      throw new HttpError(401, 'a valid "Authorization: Bearer <token>" header is required', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json') {
      throw new HttpError(415, 'the body must be Content-Type: application/json');
    }
    const body = await readBody(req, opts.maxBodyBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'the body is not valid JSON');
    }
    let payloads;
    try {
      payloads = payloadsFromJson(parsed);
    } catch (err) {
      if (err instanceof PayloadJsonError) throw new HttpError(400, err.message);
      throw err;
    }
    let result;
    try {
      result = action === 'encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
    } catch (err) {
      if (err instanceof PayloadDecryptionError) throw new HttpError(400, err.message);
      throw err;
    }
    const answer = JSON.stringify(payloadsToJson(result));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(answer);
    return { payloads: payloads.length };
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    handle(req, res).then(
      ({ payloads }) =>
        log('codec request', {
          method: req.method,
          path: req.url?.slice(0, 200),
          status: res.statusCode,
          payloads,
          ms: Date.now() - started,
        }),
      (err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        const message = err instanceof HttpError ? err.message : 'internal error; see the codec server log';
        log('codec request refused', {
          method: req.method,
          path: req.url?.slice(0, 200),
          status,
          ...(status === 500 ? { error: String(err) } : { reason: message }),
        });
        if (res.headersSent) {
          res.destroy();
          return;
        }
        res.writeHead(status, {
          'Content-Type': 'text/plain; charset=utf-8',
          // A refused body may still be arriving: do not keep reading it on this connection.
          Connection: 'close',
          ...(err instanceof HttpError ? err.headers : {}),
        });
        res.end(`${message}\n`);
      },
    );
  };
}

export interface RunningCodecServer {
  server: Server;
  /** e.g. http://127.0.0.1:8081 */
  url: string;
  close(): Promise<void>;
}

export async function startCodecServer(
  opts: CodecServerOptions & { host: string; port: number },
): Promise<RunningCodecServer> {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, codecRequestHandler(opts));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    server,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
