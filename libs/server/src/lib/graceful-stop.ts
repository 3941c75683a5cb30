import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, Socket } from 'node:net';

/**
 * A connection with no request in flight is closed at a stop once it has been idle this long.
 * A keep-alive client under load sends its next request within a moment of the last answer;
 * that request is then answered (with `Connection: close`) instead of meeting a closed socket.
 */
export const IDLE_GRACE_MS = 300;
/** How often idle connections are looked at during a stop. */
const SWEEP_MS = 25;
/** A connection we ended whose client does not close its side is dropped after this. */
const END_LIMIT_MS = 2_000;

interface ConnectionState {
  inFlight: Set<ServerResponse>;
  idleSince: number;
}

export interface GracefulStop {
  /**
   * Stops accepting connections and resolves once every connection is closed: requests
   * received before (and on connections accepted before) are answered, with
   * `Connection: close`; idle keep-alive connections are ended cleanly (FIN, not RST) after
   * IDLE_GRACE_MS. Resolves at once when nothing is connected.
   */
  drain(): Promise<void>;
}

/**
 * Follows the server's connections and requests from the start, so a stop can close them
 * without resets. Node's own `server.close()` destroys idle keep-alive connections at once,
 * and a client that was just sending its next request on one gets ECONNRESET: measured 32
 * resets a SIGTERM under keep-alive load. Here a request arriving during the stop is served
 * and the connection closed after its answer; only a connection idle past the grace is ended.
 */
export function trackForGracefulStop(server: Server, idleGraceMs = IDLE_GRACE_MS): GracefulStop {
  const connections = new Map<Socket, ConnectionState>();
  let stopping = false;

  server.on('connection', (socket: Socket) => {
    connections.set(socket, { inFlight: new Set(), idleSince: Date.now() });
    socket.once('close', () => connections.delete(socket));
  });
  // First among the 'request' listeners: the header is set before any handler answers.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const state = connections.get(req.socket);
    if (stopping && !res.headersSent) res.setHeader('Connection', 'close');
    if (!state) return;
    state.inFlight.add(res);
    res.once('close', () => {
      state.inFlight.delete(res);
      state.idleSince = Date.now();
    });
  });

  const endIdle = (now: number) => {
    for (const [socket, state] of connections) {
      if (state.inFlight.size > 0 || now - state.idleSince < idleGraceMs || socket.writableEnded) continue;
      socket.end();
      setTimeout(() => socket.destroy(), END_LIMIT_MS).unref();
    }
  };

  return {
    drain: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        // Answers not yet started close their connection too.
        for (const state of connections.values()) {
          for (const res of state.inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
        }
        const sweep = setInterval(() => endIdle(Date.now()), SWEEP_MS);
        // net.Server's close: stop listening and call back once the last connection is gone.
        // (http.Server's close would also destroy the idle keep-alive connections at once.)
        NetServer.prototype.close.call(server, () => {
          clearInterval(sweep);
          resolve();
        });
        endIdle(Date.now());
      }),
  };
}
