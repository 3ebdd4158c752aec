import { isIP } from 'node:net';
import { keyRingFromEnv, PAYLOAD_KEYS_ENV, type KeyRing } from './key-ring';

/*
 * The codec server's settings from the environment, validated at start. It decrypts for whoever
 * reaches it, so the defaults are narrow: loopback only, the local dev server's Web UI as the only
 * browser origin, and a token required as soon as it listens beyond loopback.
 */

export interface CodecServerConfig {
  keys: KeyRing;
  host: string;
  port: number;
  token?: string;
  allowedOrigins: string[];
  maxBodyBytes: number;
}

export class CodecServerConfigError extends Error {
  constructor(problems: string[]) {
    super(
      `Invalid codec server configuration:\n  - ${problems.join('\n  - ')}\nFix the environment variables above and start the codec server again.`,
    );
    this.name = 'CodecServerConfigError';
  }
}

export const DEFAULT_CODEC_PORT = 8081;
export const DEFAULT_UI_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];
const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
const MIN_TOKEN_LENGTH = 16;

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export function loadCodecServerConfig(env: NodeJS.ProcessEnv = process.env): CodecServerConfig {
  const problems: string[] = [];
  let keys: KeyRing | undefined;
  try {
    keys = keyRingFromEnv(env);
    if (!keys) {
      problems.push(
        `${PAYLOAD_KEYS_ENV} is not set: the codec server needs the same keys as the workers, e.g. ${PAYLOAD_KEYS_ENV}="k1:<base64 of 32 bytes>"`,
      );
    }
  } catch (err) {
    problems.push((err as Error).message);
  }

  const host = env.LPMM_CODEC_HOST?.trim() || '127.0.0.1';
  if (!isIP(host) && !/^[A-Za-z0-9.-]{1,253}$/.test(host)) {
    problems.push(`LPMM_CODEC_HOST must be an IP address or a host name, got "${host.slice(0, 100)}"`);
  }

  const portText = env.LPMM_CODEC_PORT?.trim() || String(DEFAULT_CODEC_PORT);
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) {
    problems.push(`LPMM_CODEC_PORT must be a port number from 0 to 65535, got "${portText.slice(0, 20)}"`);
  }

  const token =
    env.LPMM_CODEC_TOKEN === undefined || env.LPMM_CODEC_TOKEN === '' ? undefined : env.LPMM_CODEC_TOKEN;
  if (token !== undefined && (token.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(token))) {
    // The token itself is never echoed.
    problems.push(
      `LPMM_CODEC_TOKEN must be at least ${MIN_TOKEN_LENGTH} printable characters without spaces; generate one with \`openssl rand -hex 32\``,
    );
  }
  if (token === undefined && !isLoopback(host)) {
    problems.push(
      `LPMM_CODEC_HOST=${host} reaches beyond this machine, so LPMM_CODEC_TOKEN must be set: without it anyone who reaches the port can decrypt`,
    );
  }

  const allowedOrigins = (env.LPMM_CODEC_CORS_ORIGINS?.trim() || DEFAULT_UI_ORIGINS.join(','))
    .split(',')
    .map((o) => o.trim());
  for (const origin of allowedOrigins) {
    let valid = false;
    try {
      const u = new URL(origin);
      valid = (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === origin;
    } catch {
      valid = false;
    }
    if (!valid) {
      problems.push(
        `LPMM_CODEC_CORS_ORIGINS: "${origin.slice(0, 200)}" is not an origin; list the Web UI's scheme://host:port without a path or trailing slash (no "*": any web page could then decrypt), e.g. http://localhost:8233`,
      );
    }
  }

  const maxText = env.LPMM_CODEC_MAX_BODY_BYTES?.trim() || String(DEFAULT_MAX_BODY_BYTES);
  const maxBodyBytes = Number(maxText);
  if (!/^\d+$/.test(maxText) || maxBodyBytes < 1024 || maxBodyBytes > 256 * 1024 * 1024) {
    problems.push(
      `LPMM_CODEC_MAX_BODY_BYTES must be an integer from 1024 to 268435456, got "${maxText.slice(0, 20)}"`,
    );
  }

  if (problems.length || !keys) throw new CodecServerConfigError(problems);
  return { keys, host, port, token, allowedOrigins, maxBodyBytes };
}
