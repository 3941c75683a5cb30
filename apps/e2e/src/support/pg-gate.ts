import { createConnection, createServer, Server, Socket } from 'node:net';
import { AddressInfo } from 'node:net';

/**
 * A TCP forwarder the test owns between a server and PostgreSQL: `shut()` cuts every open
 * connection and refuses new ones (the database "goes away"), `open()` lets them through again.
 */
export interface PgGate {
  port: number;
  /** `url` with its host and port replaced by the gate's. */
  through(url: string): string;
  shut(): void;
  open(): void;
  close(): Promise<void>;
}

export async function startPgGate(targetUrl: string): Promise<PgGate> {
  const target = new URL(targetUrl);
  const targetPort = Number(target.port || 5432);
  const sockets = new Set<Socket>();
  let shut = false;
  const server: Server = createServer((client) => {
    if (shut) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: target.hostname, port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    through: (url) => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    shut: () => {
      shut = true;
      for (const s of sockets) s.destroy();
    },
    open: () => {
      shut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
