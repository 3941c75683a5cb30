import { spawn } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Pool } from 'undici';

/**
 * The baseline: a bare Node HTTP server that forwards every request to the upstream through
 * the same kind of keep-alive pool and pipes the answer back, with no auth, validation or
 * accounting. The proxy's overhead is measured against this.
 *
 * It runs in a process of its own, like the proxy: in the benchmark's process it would share
 * one event loop with autocannon and the upstream — no cross-process hops at c=1 (flattering
 * it) and one core for three jobs at c=64 (handicapping it).
 */
function serve(upstreamBase: string): Promise<Server> {
  const url = new URL(upstreamBase);
  const pool = new Pool(url.origin, { connections: 256 });
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (p: Buffer) => parts.push(p));
    req.on('end', async () => {
      try {
        const upstream = await pool.request({
          path: `${url.pathname}/chat/completions`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: Buffer.concat(parts),
        });
        res.writeHead(upstream.statusCode, { 'content-type': String(upstream.headers['content-type'] ?? 'application/json') });
        for await (const chunk of upstream.body) res.write(chunk);
        res.end();
      } catch {
        res.writeHead(502).end();
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Starts the passthrough in a child process; resolves with its URL once it listens. */
export function startPassthrough(upstreamBase: string): Promise<{ url: string; pid: number | undefined; close(): Promise<void> }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, upstreamBase], {
    env: { ...process.env, TS_NODE_PROJECT: `${__dirname}/tsconfig.json` },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`passthrough exited (${code}) before listening`)));
    child.stdout.once('data', (line: Buffer) => {
      resolve({
        url: line.toString().trim(),
        pid: child.pid,
        close: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

if (require.main === module) {
  serve(process.argv[2]).then((server) => {
    process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
    process.on('SIGTERM', () => process.exit(0));
  });
}
