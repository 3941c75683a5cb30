import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningServer } from '../../support/servers';

/** The preload script to pass as NODE_OPTIONS=--require <it> to a server under test. */
export const HANDLES_PROBE = join(__dirname, 'handles-probe.cjs');

export interface Handles {
  seq: number;
  /** process.getActiveResourcesInfo() by type: TCPSocketWrap, TCPServerWrap, Timeout, … */
  counts: Record<string, number>;
  heapUsed: number;
}

/** Asks a server started with HANDLES_PROBE for its active resources (SIGUSR2) and reads the answer. */
export async function activeHandles(server: RunningServer, timeoutMs = 3000): Promise<Handles> {
  const seen = (server.output().match(/LMB_HANDLES /g) ?? []).length;
  server.process.kill('SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('LMB_HANDLES '));
    if (lines.length > seen) return JSON.parse(lines[lines.length - 1].slice('LMB_HANDLES '.length)) as Handles;
    if (Date.now() > deadline) throw new Error(`${server.name} did not report its handles`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface TcpEntry {
  localPort: number;
  remotePort: number;
  state: string;
  inode: string;
}

function tcpTable(): TcpEntry[] {
  const entries: TcpEntry[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      entries.push({ localPort: parseInt(cols[1].split(':')[1], 16), remotePort: parseInt(cols[2].split(':')[1], 16), state: cols[3], inode: cols[9] });
    }
  }
  return entries;
}

/** Socket inodes a process holds open (Linux /proc). */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** TCP connections process `pid` holds to `port` (any state but LISTEN), from Linux /proc. */
export function connectionsTo(pid: number, port: number): number {
  const mine = socketInodes(pid);
  return tcpTable().filter((e) => e.remotePort === port && e.state !== '0A' && mine.has(e.inode)).length;
}

/** Established connections accepted on `port` (the server's side), by any process. */
export function connectionsAcceptedOn(port: number): number {
  return tcpTable().filter((e) => e.localPort === port && e.state === '01').length;
}

/** Open file descriptors of a process. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}
