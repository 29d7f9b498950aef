import { describe, expect, it, vi } from 'vitest';
import type { AuditQueue } from '../audit-queue.ts';
import { AuditSyncDriver } from '../sync-driver.ts';

function fakeQueue() {
  const sync = vi.fn(async () => ({ sent: 1, retried: 0, rejected: 0 }));
  return { queue: { sync } as unknown as AuditQueue, sync };
}

describe('AuditSyncDriver', () => {
  it('a round that ends at once while offline does not block later rounds', async () => {
    let online = false;
    const { queue, sync } = fakeQueue();
    const driver = new AuditSyncDriver(
      queue,
      vi.fn(),
      () => {},
      () => online,
    );
    await driver.run(true);
    expect(sync).not.toHaveBeenCalled();
    online = true;
    await driver.run(true);
    expect(sync).toHaveBeenCalledTimes(1);
  });

  it('coalesces calls during a round into one more round', async () => {
    const { queue, sync } = fakeQueue();
    const driver = new AuditSyncDriver(
      queue,
      vi.fn(),
      () => {},
      () => true,
    );
    const first = driver.run(true);
    void driver.run(true);
    void driver.run(true);
    await first;
    await vi.waitFor(() => expect(sync).toHaveBeenCalledTimes(2));
  });
});
