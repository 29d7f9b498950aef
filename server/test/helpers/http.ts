import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';

/** `http://127.0.0.1:<port>` of an app that listens (tests go through real sockets). */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from sending to the whole answer. */
  ms: number;
  json<T = { error: { code: string; message: string } }>(): T;
}

/** A fetch whose answer is read whole; a Buffer body, so that fetch adds no content type. */
export async function request(
  url: string,
  init: { method?: string; body?: Buffer | string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const t0 = performance.now();
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    body: init.body === undefined ? undefined : Buffer.from(init.body),
    headers: init.headers,
  });
  const body = await res.text();
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body,
    ms: performance.now() - t0,
    json: <T>() => JSON.parse(body) as T,
  };
}

/** POST of an image body with its content type. */
export function postImage(
  base: string,
  path: string,
  body: Buffer | string,
  contentType?: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return request(`${base}${path}`, {
    method: 'POST',
    body,
    headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
  });
}

/**
 * Writes `head` (request line and headers, without the blank line) and `bodyStart` on a raw
 * socket and keeps the socket open; `answer` resolves with whatever the server sends before
 * `timeoutMs` (or before it closes the connection). For requests whose body is never finished.
 */
export function partialRequest(
  base: string,
  head: string,
  bodyStart: Buffer | string = '',
  timeoutMs = 5_000,
): { socket: Socket; answer: Promise<{ text: string; status: number | null; closed: boolean }> } {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  socket.write(`${head}\r\n\r\n`);
  if (bodyStart.length > 0) socket.write(bodyStart);
  const answer = new Promise<{ text: string; status: number | null; closed: boolean }>((resolve) => {
    let text = '';
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      resolve({ text, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0) || null, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      // A complete answer: headers plus Content-Length bytes of body.
      const split = text.indexOf('\r\n\r\n');
      const length = Number(/\r\ncontent-length: (\d+)/i.exec(text)?.[1] ?? Number.NaN);
      if (split >= 0 && text.length - split - 4 >= length) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => {});
  });
  return { socket, answer };
}
