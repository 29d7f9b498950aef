import { postImage, type Reply, request } from './http.js';
import { waitFor } from './wait.js';

/** A job as `GET /audits/jobs/{id}` and the 202 of a submit show it. */
export interface Job {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  createdAt: string;
  updatedAt: string;
  storeId: string;
  aisle: string;
  idempotencyKey: string | null;
  image: { sha256: string };
  attempts: number;
  auditId?: string;
  error?: { code: string; message: string };
}

/** `POST /audits` with `Prefer: respond-async` over the socket: raw image body, fields in the query. */
export function submitAsync(
  base: string,
  o: {
    key: string;
    storeId: string;
    aisle: string;
    image: Buffer;
    idempotencyKey?: string;
    contentType?: string;
    prefer?: string;
  },
): Promise<Reply> {
  const query = new URLSearchParams({ storeId: o.storeId, aisle: o.aisle });
  return postImage(base, `/audits?${query}`, o.image, o.contentType ?? 'image/jpeg', {
    authorization: `Bearer ${o.key}`,
    prefer: o.prefer ?? 'respond-async',
    ...(o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {}),
  });
}

export async function getJob(base: string, key: string, id: string): Promise<Reply> {
  return request(`${base}/audits/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } });
}

/** Polls a job until it is done or failed. */
export async function waitForJob(base: string, key: string, id: string, timeoutMs = 60_000): Promise<Job> {
  return waitFor(
    async () => {
      const res = await getJob(base, key, id);
      if (res.status !== 200) throw new Error(`GET /audits/jobs/${id}: ${res.status} ${res.body}`);
      const { job } = res.json<{ job: Job }>();
      return job.status === 'done' || job.status === 'failed' ? job : undefined;
    },
    `job ${id} to finish`,
    timeoutMs,
    100,
  );
}
