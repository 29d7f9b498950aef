/**
 * Issue 13 in the real PWA against the real server (jobs run in-process on PGlite): an audit is
 * submitted with `Prefer: respond-async`, accepted with a 202 at once, shown as accepted, and its
 * official count arrives when the job is done. A captive portal answering the polls does not make it
 * stored, failed or sent twice.
 */
import { devices, expect, test } from '@playwright/test';
import { fileAudit, fulfillAsCaptivePortal, scan, serverAudits, useSettings } from '../support/app.ts';
import { snap } from '../support/screens.ts';

test.use({ ...devices['Pixel 7'] });

const STORE = 'demo-store';

test('accepted (202) at once, shown as accepted while a portal answers the polls, then stored with the official count', async ({
  page,
  context,
  request,
}) => {
  await useSettings(context, { engine: 'server', apiKey: 'dev-key', storeId: STORE });
  let posts = 0;
  let portalPolls = 0;
  let realPolls = 0;
  let portal = true;
  await context.route('**/audits', (route) => {
    if (route.request().method() === 'POST') posts++;
    return route.fallback();
  });
  await context.route('**/audits/jobs/*', (route) => {
    if (!portal) {
      realPolls++;
      return route.fallback();
    }
    portalPolls++;
    return fulfillAsCaptivePortal(route);
  });
  await page.goto('/');
  await scan(page);
  const aisle = `e2e-async-${Date.now().toString(36)}`;
  const submitted = page.waitForResponse(
    (r) => r.url().endsWith('/audits') && r.request().method() === 'POST',
  );
  await fileAudit(page, { aisle });
  const answer = await submitted;
  expect(answer.status()).toBe(202);
  expect(answer.headers()['preference-applied']).toBe('respond-async');
  expect(answer.headers().location).toMatch(/^\/audits\/jobs\/[0-9a-f-]{36}$/);
  const { job } = (await answer.json()) as { job: { id: string; status: string } };
  expect(job.status).toBe('queued');

  // Accepted, not stored yet: the portal's answers to the polls are not the server's job.
  const status = page.getByTestId('done-status');
  await expect(status).toHaveAttribute('data-status', 'accepted');
  await expect(page.locator('#done-title')).toHaveText('Audit accepted, being counted');
  await expect(status).toContainText('Accepted by the server');
  await expect.poll(() => portalPolls, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  await expect(status).toHaveAttribute('data-status', 'accepted');
  const queued = page.locator(`#audit-queue li[data-status="accepted"]:has-text("aisle ${aisle}")`);
  await expect(queued).toHaveCount(1);
  await snap(page, '11-accepted');

  // The job itself was done long ago on the server; once the polls reach it, the count is official.
  portal = false;
  await expect(status).toHaveAttribute('data-status', 'sent', { timeout: 60_000 });
  await expect(page.locator('#done-title')).toHaveText('Audit stored');
  const stored = (await serverAudits(request)).filter((a) => a.aisle === aisle);
  expect(stored).toHaveLength(1);
  await expect(page.getByTestId('official-count')).toHaveText(new RegExp(`^${stored[0]!.count} products?$`));
  await expect(page.getByTestId('audit-link')).toHaveAttribute('href', `#audit/${stored[0]!.id}`);
  await snap(page, '12-accepted-then-stored');
  expect(realPolls).toBeGreaterThanOrEqual(1);
  // One upload: polling never submits again.
  expect(posts).toBe(1);
  // The server's job names the same audit.
  const polled = await request.get(`/audits/jobs/${job.id}`, {
    headers: { authorization: 'Bearer dev-key' },
  });
  expect(((await polled.json()) as { job: { auditId: string } }).job.auditId).toBe(stored[0]!.id);
});
