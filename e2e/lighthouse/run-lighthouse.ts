/**
 * Lighthouse (npm `lighthouse`, pinned) on the production build served by the real server, in
 * Debian's Chromium (CHROME_PATH). Writes the category scores to `e2e/reports/lighthouse.json` and the
 * full report to `e2e/reports/lighthouse.html`. Used by `tests/lighthouse.spec.ts` and runnable alone:
 *   pnpm --filter @shelfwatch/e2e lighthouse [url]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { CHROMIUM, CHROMIUM_ARGS, REPORTS_DIR } from '../support/paths.ts';

export interface LighthouseScores {
  url: string;
  lighthouseVersion: string;
  formFactor: string;
  performance: number;
  accessibility: number;
  bestPractices: number;
  metrics: Record<string, number | undefined>;
  failedAudits: { category: string; id: string; title: string }[];
  at: string;
}

export interface LighthouseOptions {
  /**
   * Runs against the launched browser (its DevTools port) before Lighthouse, e.g. to store settings
   * the page needs; the origin's storage is then kept (Lighthouse's storage reset is off).
   */
  prepare?: (port: number) => Promise<void>;
  /** Report files `<name>.json` and `<name>.html` in e2e/reports. @default 'lighthouse' */
  name?: string;
}

/**
 * Lighthouse's errors for a trace it failed to record ("Please run Lighthouse again"): they come and
 * go on a busy machine, so a run that ends with one is repeated, up to `RUNS` runs in all.
 */
const BAD_TRACE = new Set(['NO_TRACING_STARTED', 'NO_RESOURCE_REQUEST', 'NO_NAVSTART', 'NO_DCL']);
const RUNS = 3;

/**
 * @throws {Error} when Lighthouse could not measure the page (a `runtimeError` in its result, after
 * `RUNS` runs for a bad trace): its categories would score 0 without having been measured
 */
export async function runLighthouse(url: string, options: LighthouseOptions = {}): Promise<LighthouseScores> {
  const chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM,
    chromeFlags: CHROMIUM_ARGS,
  });
  try {
    await options.prepare?.(chrome.port);
    let result: Awaited<ReturnType<typeof lighthouse>>;
    for (let run = 1; ; run++) {
      result = await lighthouse(url, {
        port: chrome.port,
        output: 'html',
        logLevel: 'error',
        onlyCategories: ['performance', 'accessibility', 'best-practices'],
        disableStorageReset: options.prepare !== undefined,
      });
      if (!result) throw new Error('lighthouse returned no result');
      const failed = result.lhr.runtimeError;
      if (failed === undefined) break;
      if (!BAD_TRACE.has(failed.code) || run >= RUNS)
        throw new Error(
          `Lighthouse could not measure ${url} (run ${run}): ${failed.code}: ${failed.message}`,
        );
      console.log(`lighthouse run ${run} of ${url}: ${failed.code}, running it again`);
    }
    const { lhr } = result;
    const score = (id: string) => lhr.categories[id]?.score ?? 0;
    const audit = (id: string) => lhr.audits[id]?.numericValue;
    const failedAudits: LighthouseScores['failedAudits'] = [];
    for (const [category, cat] of Object.entries(lhr.categories)) {
      for (const ref of cat.auditRefs) {
        const a = lhr.audits[ref.id];
        if (ref.weight > 0 && a && a.score !== null && a.score < 0.9) {
          failedAudits.push({ category, id: ref.id, title: a.title });
        }
      }
    }
    const scores: LighthouseScores = {
      url,
      lighthouseVersion: lhr.lighthouseVersion,
      formFactor: lhr.configSettings.formFactor,
      performance: score('performance'),
      accessibility: score('accessibility'),
      bestPractices: score('best-practices'),
      metrics: {
        firstContentfulPaintMs: audit('first-contentful-paint'),
        largestContentfulPaintMs: audit('largest-contentful-paint'),
        totalBlockingTimeMs: audit('total-blocking-time'),
        cumulativeLayoutShift: audit('cumulative-layout-shift'),
        speedIndexMs: audit('speed-index'),
      },
      failedAudits,
      at: new Date().toISOString(),
    };
    mkdirSync(REPORTS_DIR, { recursive: true });
    const name = options.name ?? 'lighthouse';
    writeFileSync(join(REPORTS_DIR, `${name}.json`), `${JSON.stringify(scores, null, 2)}\n`);
    writeFileSync(join(REPORTS_DIR, `${name}.html`), String(result.report));
    return scores;
  } finally {
    chrome.kill();
  }
}
