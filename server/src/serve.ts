import { setTimeout as sleep } from 'node:timers/promises';
import { type AppRole, buildApp } from './app.js';
import { loadConfig } from './config.js';

/**
 * Runs a process of `role` (`node server/dist/server.js` is the API, `shelfwatch worker` a worker):
 * listens (a worker for its health and metrics only) and shuts down gracefully. On SIGTERM/SIGINT readiness flips to 503 first
 * and requests are still served for SHUTDOWN_DRAIN_DELAY_MS, while load balancers notice and stop
 * sending; then Fastify stops accepting connections, in-flight requests finish (new requests on
 * kept-alive connections get 503), and the worker pool and the database close.
 * A worker stops taking jobs on close and waits for the running ones (up to SHUTDOWN_TIMEOUT_MS);
 * one killed instead loses nothing: its jobs are retried once their heartbeat stops.
 * (HTTP timeouts are set in buildApp, on the server Fastify creates.)
 */
export async function serve(role: AppRole): Promise<void> {
  const config = loadConfig();
  const app = await buildApp({ config, role });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.shuttingDown = true;
    app.log.info(
      { signal, drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS },
      'shutting down: readiness off, draining in-flight requests',
    );
    const timer = setTimeout(() => {
      app.log.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_DRAIN_DELAY_MS + config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    try {
      await sleep(config.SHUTDOWN_DRAIN_DELAY_MS);
      app.log.info('drain delay over: closing the listener');
      await app.close();
      app.log.info('shut down cleanly');
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.HOST, port: config.PORT });
}
