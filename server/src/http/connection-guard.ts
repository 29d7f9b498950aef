import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Closes connections that do not complete a first request's headers within `ms` of opening,
 * including ones that never send a byte. Node's own `headersTimeout` only starts with a
 * request's first byte, and a socket inactivity timeout is refreshed by Node's periodic
 * header/request timeout check (`connectionsCheckingInterval`, measured on Node 20), so neither
 * ends a silent connection. Later requests on a kept-alive connection are covered by
 * `keepAliveTimeout` and `headersTimeout`.
 */
export function closeSilentConnections(server: Server, ms: number): void {
  const pending = new WeakMap<Socket, NodeJS.Timeout>();
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    pending.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: { socket: Socket }) => {
    const timer = pending.get(req.socket);
    if (timer) {
      clearTimeout(timer);
      pending.delete(req.socket);
    }
  });
}
