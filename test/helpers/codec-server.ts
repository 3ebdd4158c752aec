import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from './processes';

export interface CodecServerProcess {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  output(): string;
  kill(): Promise<void>;
}

/**
 * Runs `npm run codec-server`'s entry point (`node --import tsx codec/main.ts`) on a free loopback
 * port with the given environment, and resolves once it listens.
 */
export async function spawnCodecServer(env: Record<string, string>): Promise<CodecServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'codec/main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, LPMM_CODEC_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`codec server did not start:\n${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'codec server listening' && entry.url) {
            clearTimeout(timer);
            resolve(entry.url);
          }
        } catch {
          // Not a complete JSON log line yet.
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`codec server exited at start:\n${out}`));
    });
  });
  return {
    url,
    output: () => out,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
