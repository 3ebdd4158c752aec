import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { keyRingFromEnv, PayloadKeyConfigError, type KeyRing } from '../codec/key-ring';

/*
 * Worker configuration from the environment, validated at start so a typo fails fast with a
 * message naming the variable instead of surfacing later as a connection error.
 */

const int = (name: string, dflt: number, min = 1, max = 100_000) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return dflt;
      // Plain digits only: Number() would also take " 5", "0x10" and "1e3".
      const n = /^\d{1,9}$/.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be an integer from ${min} to ${max}, got "${v}"`,
        });
        return z.NEVER;
      }
      return n;
    });

/** host:port with a port from 1 to 65535 (an IPv6 host in brackets). */
const hostPort = (name: string, example: string) =>
  z.string().refine(
    (v) => {
      const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(v);
      return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
    },
    { message: `${name} must look like host:port with a port from 1 to 65535, e.g. ${example}` },
  );

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A name the Temporal server keeps (namespace, task queue, identity): 1-200 printable characters. */
const name = (variable: string) =>
  z
    .string()
    .min(1, `${variable} must not be empty`)
    .max(200, `${variable} must be at most 200 characters`)
    .refine((v) => !CONTROL.test(v), `${variable} must not contain control characters`);

const path = (variable: string) =>
  z
    .string()
    .max(4096, `${variable} must be a file path of at most 4096 characters`)
    .refine((v) => !CONTROL.test(v), `${variable} must not contain control characters`)
    .optional();

const envSchema = z.object({
  TEMPORAL_ADDRESS: hostPort('TEMPORAL_ADDRESS', '127.0.0.1:7233').default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: name('TEMPORAL_NAMESPACE').default('default'),
  TASK_QUEUE: name('TASK_QUEUE').default('market-making'),
  TEMPORAL_TLS: z.enum(['true', 'false', ''], { error: "TEMPORAL_TLS must be 'true' or 'false'" }).optional(),
  TEMPORAL_TLS_CERT_PATH: path('TEMPORAL_TLS_CERT_PATH'),
  TEMPORAL_TLS_KEY_PATH: path('TEMPORAL_TLS_KEY_PATH'),
  TEMPORAL_TLS_CA_PATH: path('TEMPORAL_TLS_CA_PATH'),
  TEMPORAL_TLS_SERVER_NAME: name('TEMPORAL_TLS_SERVER_NAME').optional(),
  TEMPORAL_API_KEY: z
    .string()
    .max(8192, 'TEMPORAL_API_KEY must be at most 8192 characters')
    .refine((v) => !CONTROL.test(v), 'TEMPORAL_API_KEY must not contain control characters')
    .optional(),
  DATABASE_URL: z
    .string()
    .refine(
      (v) => {
        if (!/^postgres(ql)?:\/\//.test(v) || CONTROL.test(v)) return false;
        try {
          new URL(v);
          return true;
        } catch {
          return false;
        }
      },
      {
        message:
          'DATABASE_URL must be a postgres:// URL such as postgres://user:password@host:5432/database (percent-encode special characters in the password)',
      },
    )
    .optional(),
  DB_POOL_SIZE: int('DB_POOL_SIZE', 20, 1, 500),
  // Each pool's quoting session holds a slot for hours: this is the most pools one worker runs.
  MAX_CONCURRENT_ACTIVITIES: int('MAX_CONCURRENT_ACTIVITIES', 5000),
  MAX_CONCURRENT_LOCAL_ACTIVITIES: int('MAX_CONCURRENT_LOCAL_ACTIVITIES', 100),
  MAX_CONCURRENT_WORKFLOW_TASKS: int('MAX_CONCURRENT_WORKFLOW_TASKS', 40),
  MAX_CACHED_WORKFLOWS: int('MAX_CACHED_WORKFLOWS', 1000, 0),
  SHUTDOWN_GRACE_MS: int('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
  WORKFLOW_BUNDLE_PATH: path('WORKFLOW_BUNDLE_PATH'),
  METRICS_BIND_ADDRESS: hostPort('METRICS_BIND_ADDRESS', '0.0.0.0:9464').optional(),
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error'], {
      error: 'LOG_LEVEL must be one of trace, debug, info, warn, error',
    })
    .default('info'),
  WORKER_IDENTITY: name('WORKER_IDENTITY').optional(),
});

export interface WorkerConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  tls?:
    | {
        clientCertPair?: { crt: Buffer; key: Buffer };
        serverRootCACertificate?: Buffer;
        serverNameOverride?: string;
      }
    | true;
  apiKey?: string;
  databaseUrl?: string;
  dbPoolSize: number;
  maxConcurrentActivities: number;
  maxConcurrentLocalActivities: number;
  maxConcurrentWorkflowTasks: number;
  maxCachedWorkflows: number;
  shutdownGraceMs: number;
  workflowBundlePath?: string;
  metricsBindAddress?: string;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  identity?: string;
  /** Payload encryption keys (LPMM_PAYLOAD_KEYS); encryption is off without them. */
  payloadKeys?: KeyRing;
}

export class WorkerConfigError extends Error {
  constructor(problems: string[]) {
    super(
      `Invalid worker configuration:\n  - ${problems.join('\n  - ')}\nFix the environment variables above and start the worker again.`,
    );
    this.name = 'WorkerConfigError';
  }
}

function readFile(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new WorkerConfigError([`${variable}=${path} cannot be read (${(err as Error).message})`]);
  }
}

/** Optional variables for which an empty value (`FOO=` in a compose file) means "not set". */
const EMPTY_MEANS_UNSET = [
  'TEMPORAL_TLS_CERT_PATH',
  'TEMPORAL_TLS_KEY_PATH',
  'TEMPORAL_TLS_CA_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_API_KEY',
  'WORKFLOW_BUNDLE_PATH',
  'METRICS_BIND_ADDRESS',
  'WORKER_IDENTITY',
];

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const given = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => !(v === '' && EMPTY_MEANS_UNSET.includes(k))),
  );
  const parsed = envSchema.safeParse(given);
  if (!parsed.success) {
    throw new WorkerConfigError(
      parsed.error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)),
    );
  }
  const e = parsed.data;
  let payloadKeys: KeyRing | undefined;
  try {
    payloadKeys = keyRingFromEnv(env);
  } catch (err) {
    if (err instanceof PayloadKeyConfigError) throw new WorkerConfigError([err.message]);
    throw err;
  }
  const mtls = e.TEMPORAL_TLS_CERT_PATH || e.TEMPORAL_TLS_KEY_PATH;
  if (mtls && !(e.TEMPORAL_TLS_CERT_PATH && e.TEMPORAL_TLS_KEY_PATH)) {
    throw new WorkerConfigError(['mTLS needs both TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH']);
  }
  let tls: WorkerConfig['tls'];
  if (mtls || e.TEMPORAL_TLS_CA_PATH || e.TEMPORAL_TLS_SERVER_NAME) {
    tls = {
      ...(mtls
        ? {
            clientCertPair: {
              crt: readFile(e.TEMPORAL_TLS_CERT_PATH!, 'TEMPORAL_TLS_CERT_PATH'),
              key: readFile(e.TEMPORAL_TLS_KEY_PATH!, 'TEMPORAL_TLS_KEY_PATH'),
            },
          }
        : {}),
      ...(e.TEMPORAL_TLS_CA_PATH
        ? { serverRootCACertificate: readFile(e.TEMPORAL_TLS_CA_PATH, 'TEMPORAL_TLS_CA_PATH') }
        : {}),
      ...(e.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: e.TEMPORAL_TLS_SERVER_NAME } : {}),
    };
  } else if (e.TEMPORAL_TLS === 'true' || e.TEMPORAL_API_KEY) {
    tls = true;
  }
  return {
    address: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TASK_QUEUE,
    tls,
    apiKey: e.TEMPORAL_API_KEY,
    databaseUrl: e.DATABASE_URL,
    dbPoolSize: e.DB_POOL_SIZE,
    maxConcurrentActivities: e.MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivities: e.MAX_CONCURRENT_LOCAL_ACTIVITIES,
    maxConcurrentWorkflowTasks: e.MAX_CONCURRENT_WORKFLOW_TASKS,
    maxCachedWorkflows: e.MAX_CACHED_WORKFLOWS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    metricsBindAddress: e.METRICS_BIND_ADDRESS,
    logLevel: e.LOG_LEVEL,
    identity: e.WORKER_IDENTITY,
    payloadKeys,
  };
}
