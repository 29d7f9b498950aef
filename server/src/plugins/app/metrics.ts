import { PIPELINE_STAGES } from '@shelfwatch/shared';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets in seconds, dense across the 50 ms - 2 s SLO range (alerts: p99 > 500 ms). */
export const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10,
];

/** The metric names of docs/ARCHITECTURE.md; dashboards and alert rules rely on them. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    stageDuration: new Histogram({
      name: 'shelfwatch_inference_stage_duration_seconds',
      help: `Duration of each stage of a prediction (${PIPELINE_STAGES.join(', ')})`,
      labelNames: ['stage'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    detectionsPerImage: new Histogram({
      name: 'shelfwatch_detections_per_image',
      help: 'Number of products detected per image',
      buckets: [0, 1, 5, 10, 25, 50, 100, 150, 200, 300, 500],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'shelfwatch_queue_depth',
      help: 'Inference tasks waiting for a worker',
      registers: [registry],
    }),
    workersBusy: new Gauge({
      name: 'shelfwatch_workers_busy',
      help: 'Inference workers running a task',
      registers: [registry],
    }),
    workers: new Gauge({
      name: 'shelfwatch_workers',
      help: 'Inference worker threads alive',
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'shelfwatch_requests_rejected_total',
      help: 'Requests refused to protect the service, by error code (QUEUE_FULL, RATE_LIMITED, NOT_READY)',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'shelfwatch_request_errors_total',
      help: 'Error responses by error catalogue code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    auditsCreated: new Counter({
      name: 'shelfwatch_audits_created_total',
      help: 'Audit records stored',
      registers: [registry],
    }),
    modelInfo: new Gauge({
      name: 'shelfwatch_model_info',
      help: 'The loaded model (value 1)',
      labelNames: ['name', 'version'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/** Prometheus registry (one per app instance, so tests can build several) and the HTTP histogram hook. */
export default fp(
  async (app: FastifyInstance) => {
    const metrics = createMetrics();
    app.decorate('metrics', metrics);
    app.addHook('onResponse', async (request, reply) => {
      // The route template, not the URL, keeps label cardinality bounded.
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.httpDuration.observe(
        { method: request.method, route, status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
  },
  { name: 'metrics', fastify: '5.x' },
);
