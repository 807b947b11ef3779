import type { Socket } from 'node:net';
import type { buildConnector as BuildConnector } from 'undici';
import { buildConnector } from './undici-parts.js';

/**
 * The TLS error a connection failed with, for the request on it. A server that refuses the handshake
 * late (TLS 1.3: "certificate required" after the client thinks it is done) makes the socket emit the
 * alert and then end; undici reports the end ("other side closed") and the alert, which says what to
 * fix, would be lost. Errors are kept by the connection's local port until just after it closes.
 */
const seen = new Map<number, Error>();

const isTls = (code: string | undefined): boolean => code !== undefined && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO');

/**
 * undici's TLS connector with `options` (trust, client certificate, servername), noting each
 * connection's TLS error.
 *
 * @example
 * new Pool('https://api.example.com', { connect: connectorNotingTls({ ca }) });
 */
export function connectorNotingTls(options: BuildConnector.BuildOptions): BuildConnector.connector {
  const connect = buildConnector(options);
  return (opts, callback) =>
    connect(opts, (err, socket) => {
      const port = (socket as Socket | null)?.localPort;
      if (socket && port !== undefined) {
        socket.on('error', (e: Error & { code?: string }) => {
          if (isTls(e.code) && !seen.has(port)) seen.set(port, e);
        });
        // The request hears of the close after this listener: forget once it had its chance.
        socket.once('close', () => setImmediate(() => seen.delete(port)));
      }
      (callback as (err: Error | null, socket: Socket | null) => void)(err, socket as Socket | null);
    });
}

/** The TLS error behind undici's "other side closed" on the connection `err` names, if there was one. */
export function tlsErrorBehind(err: { socket?: { localPort?: number } }): Error | undefined {
  const port = err.socket?.localPort;
  return port === undefined ? undefined : seen.get(port);
}
