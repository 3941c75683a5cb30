import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Pool } from 'undici';

/**
 * The baseline: a bare Node HTTP server that forwards every request to the upstream through
 * the same kind of keep-alive pool and pipes the answer back, with no auth, validation or
 * accounting. The proxy's overhead is measured against this.
 */
export async function startPassthrough(upstreamBase: string): Promise<{ url: string; close(): Promise<void> }> {
  const url = new URL(upstreamBase);
  const pool = new Pool(url.origin, { connections: 256 });
  const server: Server = createServer((req, res) => {
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close();
    },
  };
}
