import { maxHeaderSize, Server, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** The error body of a server, given the status and a sentence (the proxy's OpenAI shape, …). */
export type ErrorBodyFormat = (status: number, message: string) => unknown;

/** The dashboard's (NestJS) error shape: `{statusCode, error, message}`. */
export const nestErrorBody: ErrorBodyFormat = (status, message) => ({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message });

/** Longest we wait for the answer to be flushed before the socket is dropped. */
const FLUSH_LIMIT_MS = 5_000;

function answerFor(err: NodeJS.ErrnoException): { status: number; message: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, message: `The request headers are larger than ${maxHeaderSize} bytes.` };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request did not arrive in time.' };
    default:
      return { status: 400, message: 'The request is not valid HTTP/1.1.' };
  }
}

/**
 * What Node's HTTP parser refuses before the application sees a request (header bytes that
 * are not allowed, conflicting Content-Length / Transfer-Encoding, headers over 16 KB, …)
 * is answered like Node does by default (400 / 408 / 431, then the connection is closed),
 * but with a JSON body in the server's documented error shape instead of an empty one.
 */
export function answerClientErrors(server: Server, format: ErrorBodyFormat): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, message } = answerFor(err);
    const body = JSON.stringify(format(status, message));
    const timer = setTimeout(() => socket.destroy(), FLUSH_LIMIT_MS);
    timer.unref();
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      () => {
        clearTimeout(timer);
        socket.destroy();
      },
    );
  });
}
