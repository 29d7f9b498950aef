import { type Db, fromPglite, type Job, type JobResult, PgBoss } from 'pg-boss';
import type { Config } from '../config.js';
import type { SqlClient, SqlRunner } from '../db/sql-client.js';

/** pg-boss queue of audit jobs, and where it moves the ones it gives up on. */
export const AUDIT_QUEUE = 'audits';
export const DEAD_LETTER_QUEUE = 'audits-dead-letter';

/** The message of an audit job: only its id; everything else is in `audit_jobs` and `photos`. */
export interface AuditJobMessage {
  jobId: string;
}

/** A transaction of ours as pg-boss's database, so a job is sent in the same commit as its records. */
export function inTransaction(tx: SqlRunner): Db {
  return { executeSql: (text, values) => tx.query(text, values) };
}

export interface QueueHandlers {
  /** Runs one job; throwing makes pg-boss retry it with backoff, then dead-letter it. */
  process(jobId: string): Promise<void>;
  /** A job pg-boss gave up on. */
  deadLettered(jobId: string): Promise<void>;
}

/**
 * pg-boss on the audit database: its own pool (schema JOB_SCHEMA) on PostgreSQL, the one embedded
 * connection through pg-boss's PGlite adapter otherwise. Retries with exponential backoff from
 * JOB_RETRY_DELAY_SECONDS (at most 60 s), JOB_MAX_ATTEMPTS attempts, then the dead-letter queue; a
 * running job whose heartbeat stops (its process died) is retried after JOB_HEARTBEAT_SECONDS.
 */
export class AuditQueue {
  private constructor(readonly boss: PgBoss) {}

  /** Starts pg-boss (creating or migrating its schema) and the two queues. */
  static async start(config: Config, db: SqlClient, onError: (err: Error) => void): Promise<AuditQueue> {
    const connection =
      db.kind === 'pglite'
        ? { db: fromPglite(db.pglite!), backend: 'pglite' as const }
        : { connectionString: config.DATABASE_URL, max: 4, application_name: 'shelfwatch-jobs' };
    const boss = new PgBoss({
      ...connection,
      schema: config.JOB_SCHEMA,
      superviseIntervalSeconds: config.JOB_SUPERVISE_SECONDS,
      monitorIntervalSeconds: config.JOB_SUPERVISE_SECONDS,
      // No cron schedules; LISTEN/NOTIFY wakes idle consumers at once (polling stays as a floor).
      schedule: false,
      useListenNotify: true,
      registerInstance: false,
      persistWarnings: false,
    });
    boss.on('error', onError);
    try {
      await boss.start();
      await boss.createQueue(DEAD_LETTER_QUEUE, { retryLimit: 0 });
      const options = {
        retryLimit: config.JOB_MAX_ATTEMPTS - 1,
        retryDelay: config.JOB_RETRY_DELAY_SECONDS,
        retryBackoff: true,
        retryDelayMax: 60,
        heartbeatSeconds: config.JOB_HEARTBEAT_SECONDS,
        // A hard cap on one attempt: the inference budget twice, plus room for the database.
        expireInSeconds: Math.ceil((2 * config.TASK_TIMEOUT_MS) / 1000) + 60,
        // audit_jobs is the record clients read; pg-boss's own rows go after a day.
        deleteAfterSeconds: 86_400,
        deadLetter: DEAD_LETTER_QUEUE,
        notify: true,
      };
      // createQueue leaves an existing queue as it is; updateQueue applies changed settings.
      if (await boss.getQueue(AUDIT_QUEUE)) {
        const { notify: _notify, ...updatable } = options;
        await boss.updateQueue(AUDIT_QUEUE, updatable);
      } else await boss.createQueue(AUDIT_QUEUE, options);
    } catch (err) {
      await boss.stop({ graceful: false, timeout: 1_000 }).catch(() => {});
      throw err;
    }
    return new AuditQueue(boss);
  }

  /** Queues a job as part of transaction `tx`: it exists exactly when the transaction commits. */
  async send(tx: SqlRunner, jobId: string): Promise<void> {
    const message: AuditJobMessage = { jobId };
    await this.boss.send(AUDIT_QUEUE, message, { db: inTransaction(tx) });
  }

  /**
   * Consumes both queues: `concurrency` loops, each fetching two jobs at a time and running them one
   * after the other. pg-boss waits a polling interval after a fetch unless the fetch came back full
   * (`burstWhenBatchFull`) or a new job was notified, so batches of two keep a backlog draining
   * without pause; a batch of one (the queue is nearly empty) waits for the next notification.
   */
  async consume(handlers: QueueHandlers, concurrency: number): Promise<void> {
    const polling = { pollingIntervalSeconds: 2, notifyPollingIntervalSeconds: 2 };
    await this.boss.work(
      AUDIT_QUEUE,
      {
        ...polling,
        localConcurrency: concurrency,
        batchSize: 2,
        burstWhenBatchFull: true,
        perJobResults: true,
      },
      async (jobs: Job<AuditJobMessage>[]): Promise<JobResult[]> => {
        const results: JobResult[] = [];
        for (const job of jobs) {
          try {
            await handlers.process(job.data.jobId);
            results.push({ id: job.id, status: 'completed' });
          } catch (err) {
            // `failed` is retried with backoff while attempts are left, then dead-lettered.
            results.push({ id: job.id, status: 'failed', output: { message: String(err) } });
          }
        }
        return results;
      },
    );
    await this.boss.work<AuditJobMessage>(
      DEAD_LETTER_QUEUE,
      { ...polling, batchSize: 16 },
      async (jobs: Job<AuditJobMessage>[]) => {
        for (const job of jobs) await handlers.deadLettered(job.data.jobId);
      },
    );
  }

  /** Stops consuming, waiting up to `timeoutMs` for running jobs; unfinished ones are retried elsewhere. */
  async stop(timeoutMs: number): Promise<void> {
    await this.boss.stop({ graceful: true, close: true, timeout: timeoutMs });
  }
}
