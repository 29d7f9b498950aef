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
      help: 'Requests refused to protect the service, by error code (QUEUE_FULL, RATE_LIMITED, NOT_READY, AUTH_THROTTLED)',
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
    // Asynchronous audits. The depth and age gauges are read from the database (the same numbers on
    // every replica: aggregate them with max(), not sum()).
    auditJobs: new Gauge({
      name: 'shelfwatch_audit_jobs',
      help: 'Asynchronous audit jobs queued (waiting or to be retried) or running, from the database',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    auditJobOldestAge: new Gauge({
      name: 'shelfwatch_audit_job_oldest_age_seconds',
      help: 'Seconds the oldest queued audit job has waited since it was accepted (0 = none waits)',
      registers: [registry],
    }),
    auditJobsAccepted: new Counter({
      name: 'shelfwatch_audit_jobs_accepted_total',
      help: 'Asynchronous audit jobs accepted (202), retried submits of the same job not counted',
      registers: [registry],
    }),
    auditJobsFinished: new Counter({
      name: 'shelfwatch_audit_jobs_finished_total',
      help: 'Audit jobs finished by this process, by status (done, failed) and error code (OK when done)',
      labelNames: ['status', 'code'] as const,
      registers: [registry],
    }),
    auditJobRetries: new Counter({
      name: 'shelfwatch_audit_job_retries_total',
      help: 'Attempts of audit jobs that failed for a transient reason (retried later, or dead-lettered after the last), by code',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    auditJobsDeadLettered: new Counter({
      name: 'shelfwatch_audit_jobs_dead_lettered_total',
      help: 'Audit jobs given up on after JOB_MAX_ATTEMPTS transient failures (they read as failed)',
      registers: [registry],
    }),
    auditJobDuration: new Histogram({
      name: 'shelfwatch_audit_job_duration_seconds',
      help: 'Time of one attempt of an audit job (photo read, inference, audit stored), by outcome',
      labelNames: ['outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    auditJobLatency: new Histogram({
      name: 'shelfwatch_audit_job_latency_seconds',
      help: 'From accepted (202) to finished, per audit job',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
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
