import { expect, test } from '@playwright/test';
import { type LighthouseScores, runLighthouse } from '../lighthouse/run-lighthouse.ts';

// Issue floors; measured scores are in e2e/reports/lighthouse.json and web/README.md. Lantern
// simulates the network, but total blocking time comes from the main-thread tasks measured on this
// machine's CPU: a run while other work loads the 2 cores scored 0.82 (TBT) where quiet runs score
// 0.99-1.00. So performance gets up to three runs and the best counts (Lighthouse CI's "optimistic"
// aggregation): a real regression fails every run, a moment of load does not.
const FLOORS = { performance: 0.9, accessibility: 0.95, bestPractices: 0.95 };
const PERFORMANCE_RUNS = 3;

test('Lighthouse on the production build: performance, accessibility, best practices', async ({
  baseURL,
}) => {
  test.setTimeout(PERFORMANCE_RUNS * 180_000);
  const runs: LighthouseScores[] = [];
  while (runs.length < PERFORMANCE_RUNS && !runs.some((r) => r.performance >= FLOORS.performance)) {
    const scores = await runLighthouse(`${baseURL}/`);
    runs.push(scores);
    console.log(
      `lighthouse ${scores.lighthouseVersion} (${scores.formFactor}), run ${runs.length}: performance ` +
        `${scores.performance}, accessibility ${scores.accessibility}, best practices ${scores.bestPractices}` +
        (scores.failedAudits.length
          ? `; below 0.9: ${scores.failedAudits.map((a) => a.id).join(', ')}`
          : '') +
        ' -> e2e/reports/lighthouse.json',
    );
  }
  const best = runs.reduce((a, b) => (b.performance > a.performance ? b : a));
  expect(best.performance).toBeGreaterThanOrEqual(FLOORS.performance);
  for (const r of runs) {
    expect(r.accessibility).toBeGreaterThanOrEqual(FLOORS.accessibility);
    expect(r.bestPractices).toBeGreaterThanOrEqual(FLOORS.bestPractices);
  }
});
