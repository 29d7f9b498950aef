import { buildApp } from './app.js';
import { loadConfig } from './config.js';

/**
 * Entry point: listens, sets the HTTP timeouts and shuts down gracefully. On SIGTERM/SIGINT readiness
 * flips to 503 first, Fastify stops accepting connections, in-flight requests finish (new requests on
 * kept-alive connections get 503), then the worker pool and the database close.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const app = await buildApp({ config });
  // Longer than the usual load-balancer idle timeout (60 s), so the proxy closes first, never us mid-request.
  app.server.keepAliveTimeout = 65_000;
  app.server.headersTimeout = 66_000;

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.shuttingDown = true;
    app.log.info({ signal }, 'shutting down: readiness off, draining in-flight requests');
    const timer = setTimeout(() => {
      app.log.error({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    try {
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

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
