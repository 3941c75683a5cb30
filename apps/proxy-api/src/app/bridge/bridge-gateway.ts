import { AppConfig, InjectConfig } from '@lmarena-bridge/config';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { RawData, WebSocket, WebSocketServer } from 'ws';
import { CLOSE_FORBIDDEN_ORIGIN, CLOSE_TRY_AGAIN, CLOSE_UNAUTHORIZED, MAX_HELLO_BYTES, parseHello } from './bridge-frames';
import { BridgeHub } from './bridge-hub.service';
import { BRIDGE_KEY_STORE, BridgeKeyStore } from './bridge-stores';
import { BRIDGE_TIMINGS, BridgeTimings } from './bridge-timings';

export const BRIDGE_PATH = '/ws';
/** Largest frame an authenticated browser may send (one relayed chunk of a site answer). */
export const MAX_FRAME_BYTES = 16 << 20;
/** Sockets upgraded but not yet authenticated; more are closed at once (a page opening many). */
const MAX_PENDING_HELLOS = 64;
/**
 * Raw bytes a socket may send before it is authenticated: a hello with frame headers. `ws`
 * would buffer a first message up to maxPayload (16 MiB) before we could look at it; counting
 * the socket's bytes stops a page that streams a huge first frame at a few KiB.
 */
const MAX_PRE_AUTH_BYTES = 2 * MAX_HELLO_BYTES;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function bytes(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function text(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as Buffer).toString('utf8');
}

function refuse(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
}

/**
 * `/ws` on the proxy's own HTTP server. Every socket is untrusted until its hello: any page
 * the user has open can open ws://127.0.0.1:5102/ws, so the Origin header must be an allowed
 * arena origin (else 4403) and the first frame, within `helloMs`, must carry the configured
 * secret or an active bridge key (else 4401). Only then does the hub see the socket — no
 * request is ever sent to one that has not authenticated. The secret is never logged.
 */
@Injectable()
export class BridgeGateway implements OnApplicationShutdown {
  private readonly logger = new Logger(BridgeGateway.name);
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly sharedSecret: Buffer | null;
  private readonly handshakes = new Set<WebSocket>();
  private server: Server | null = null;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);

  constructor(
    @InjectConfig() config: AppConfig,
    @Inject(BRIDGE_TIMINGS) private readonly timings: BridgeTimings,
    @Inject(BRIDGE_KEY_STORE) private readonly keys: BridgeKeyStore,
    private readonly hub: BridgeHub,
  ) {
    this.allowedOrigins = new Set(config.bridge.allowed_origins);
    this.sharedSecret = config.bridge.secret === '' ? null : sha256(config.bridge.secret);
  }

  /** Serves /ws on this HTTP server (the proxy's, from `app.getHttpServer()`). */
  attach(server: Server): void {
    this.server = server;
    server.on('upgrade', this.onUpgrade);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== BRIDGE_PATH) return refuse(socket, '404 Not Found');
    if (this.hub.isClosing) return refuse(socket, '503 Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.handshake(ws, req, socket));
  }

  private handshake(ws: WebSocket, req: IncomingMessage, socket: Duplex): void {
    ws.on('error', (err) => this.logger.debug(`bridge socket error: ${err.message}`));
    const origin = req.headers.origin ?? '';
    // Accepted then closed, so the userscript sees the code (a refused upgrade shows none).
    if (!this.allowedOrigins.has(origin)) {
      this.logger.warn(`refused a bridge socket from origin ${JSON.stringify(origin.slice(0, 100))} (not in bridge.allowed_origins)`);
      ws.close(CLOSE_FORBIDDEN_ORIGIN, 'origin not allowed');
      return;
    }
    if (this.handshakes.size >= MAX_PENDING_HELLOS) {
      ws.close(CLOSE_TRY_AGAIN, 'too many unauthenticated sockets');
      return;
    }
    this.handshakes.add(ws);
    const timer = setTimeout(() => ws.close(CLOSE_UNAUTHORIZED, 'no hello'), this.timings.helloMs);
    let received = 0;
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_PRE_AUTH_BYTES) {
        this.logger.warn('dropped a bridge socket that sent more than a hello before authenticating');
        ws.terminate();
      }
    };
    socket.on('data', count);
    const done = () => {
      clearTimeout(timer);
      socket.off('data', count);
      this.handshakes.delete(ws);
    };
    ws.once('close', done);
    ws.once('message', (data, isBinary) => {
      clearTimeout(timer);
      void this.authenticate(ws, data, isBinary, origin).finally(done);
    });
  }

  private async authenticate(ws: WebSocket, data: RawData, isBinary: boolean, origin: string): Promise<void> {
    const hello = !isBinary && bytes(data) <= MAX_HELLO_BYTES ? parseHello(text(data)) : null;
    if (!hello) {
      ws.close(CLOSE_UNAUTHORIZED, 'expected a hello frame');
      return;
    }
    let keyId: number | null;
    if (this.sharedSecret && timingSafeEqual(sha256(hello.secret), this.sharedSecret)) {
      keyId = null;
    } else {
      let key: { id: number } | null;
      try {
        key = hello.secret === '' ? null : await this.keys.verify(hello.secret);
      } catch (err) {
        this.logger.warn(`checking a bridge key failed: ${err instanceof Error ? err.message : String(err)}`);
        ws.close(CLOSE_TRY_AGAIN, 'the proxy could not check the key; retry');
        return;
      }
      if (!key) {
        this.logger.warn(`refused a bridge socket from ${origin}: wrong or revoked secret`);
        ws.close(CLOSE_UNAUTHORIZED, 'wrong or revoked bridge key');
        return;
      }
      keyId = key.id;
    }
    if (ws.readyState !== WebSocket.OPEN) return;
    const browser = this.hub.register(ws, {
      keyId,
      origin,
      version: hello.version,
    });
    if (browser.gone) return;
    ws.on('message', (frame, binary) => {
      if (!binary) this.hub.onFrame(browser, text(frame));
    });
    ws.on('close', (code) => this.hub.drop(browser, `socket closed (${code})`));
  }

  /** Stops accepting sockets; the hub closes the authenticated ones. */
  async onApplicationShutdown(): Promise<void> {
    this.server?.off('upgrade', this.onUpgrade);
    this.server = null;
    for (const ws of this.handshakes) ws.close(1001, 'the proxy is shutting down');
    await this.hub.shutdown();
  }
}
