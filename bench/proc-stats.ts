import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/*
 * CPU and memory of the processes a benchmark step loads, read from /proc (Linux only; elsewhere
 * every reading is null and the report says so).
 */

let clkTck: number | undefined;
function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** utime + stime in seconds and the parent pid, from /proc/<pid>/stat (the comm field may hold spaces). */
export function procStat(pid: number): { cpuSeconds: number; ppid: number } | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the comm: state(0) ppid(1) ... utime(11) stime(12).
  return {
    ppid: Number(fields[1]),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond(),
  };
}

export function cmdline(pid: number): string {
  return (read(`/proc/${pid}/cmdline`) ?? '').replace(/\0/g, ' ').trim();
}

/** Resident memory in MiB: Pss where readable (fair for Postgres's shared buffers), else VmRSS. */
export function memoryMiB(pid: number, kind: 'rss' | 'pss' = 'rss'): number | undefined {
  if (kind === 'pss') {
    const m = /^Pss:\s+(\d+) kB/m.exec(read(`/proc/${pid}/smaps_rollup`) ?? '');
    if (m) return Number(m[1]) / 1024;
  }
  const m = /^VmRSS:\s+(\d+) kB/m.exec(read(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) / 1024 : undefined;
}

function allPids(): number[] {
  try {
    return readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number);
  } catch {
    return [];
  }
}

export function childrenOf(ppid: number): number[] {
  return allPids().filter((pid) => procStat(pid)?.ppid === ppid);
}

/** The pid listening on a local TCP port, through /proc/net/tcp{,6} and the processes' socket fds. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (read(file) ?? '').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      if (parseInt(cols[1]!.split(':')[1]!, 16) === port) inodes.add(cols[9]!);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return pid;
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return undefined;
}

/** A named group of processes whose CPU and memory are summed. */
export interface ProcessGroup {
  name: string;
  /** Pids to read now (evaluated at each sample: Postgres backends come and go). */
  pids(): number[];
  memory: 'rss' | 'pss';
}

export interface GroupSample {
  atMs: number;
  cpu: Map<number, number>;
  memMiB: number;
}

export function sampleGroup(g: ProcessGroup): GroupSample {
  const cpu = new Map<number, number>();
  let mem = 0;
  for (const pid of g.pids()) {
    const s = procStat(pid);
    if (!s) continue;
    cpu.set(pid, s.cpuSeconds);
    mem += memoryMiB(pid, g.memory) ?? 0;
  }
  return { atMs: Date.now(), cpu, memMiB: mem };
}

export interface GroupUsage {
  name: string;
  /** 100 = one core busy for the whole interval. */
  cpuPercent: number | null;
  memMiB: number | null;
  processes: number;
}

/** CPU between two samples: a pid new in `end` counts from zero; one gone by `end` is lost (noted in the report). */
export function usageBetween(name: string, start: GroupSample, end: GroupSample): GroupUsage {
  if (end.cpu.size === 0) return { name, cpuPercent: null, memMiB: null, processes: 0 };
  let seconds = 0;
  for (const [pid, cpu] of end.cpu) seconds += cpu - (start.cpu.get(pid) ?? 0);
  const wall = (end.atMs - start.atMs) / 1000;
  return {
    name,
    cpuPercent: wall > 0 ? (100 * seconds) / wall : null,
    memMiB: end.memMiB,
    processes: end.cpu.size,
  };
}

/**
 * Postgres processes that serve this benchmark: the postmaster (the parent of our own backend), its
 * auxiliary processes, and the client backends of our database only (other databases on a shared
 * cluster, e.g. other engineers' tests, are left out).
 */
export function postgresGroup(postmasterPid: number, database: string): ProcessGroup {
  return {
    name: 'postgres',
    memory: 'pss',
    pids: () => [
      postmasterPid,
      ...childrenOf(postmasterPid).filter((pid) => {
        const cmd = cmdline(pid);
        const clientBackend = /\(\d+\)|\[local\]/.test(cmd);
        return !clientBackend || cmd.split(' ').includes(database);
      }),
    ],
  };
}

export function singleProcessGroup(name: string, pid: number | undefined): ProcessGroup {
  return { name, memory: 'rss', pids: () => (pid ? [pid] : []) };
}

export interface GroupsSample {
  groups: ProcessGroup[];
  samples: GroupSample[];
}

export function sampleAll(groups: ProcessGroup[]): GroupsSample {
  return { groups, samples: groups.map(sampleGroup) };
}

export function usageSince(start: GroupsSample): GroupUsage[] {
  return start.groups.map((g, i) => usageBetween(g.name, start.samples[i]!, sampleGroup(g)));
}

/** Busy CPU seconds of the whole machine (all processes, including other people's), from /proc/stat. */
export function machineBusySeconds(): number | undefined {
  const line = (read('/proc/stat') ?? '').split('\n')[0];
  if (!line?.startsWith('cpu ')) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0);
  return busy / ticksPerSecond();
}
