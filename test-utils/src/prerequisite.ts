import { existsSync } from 'node:fs';

/** Whether this run is CI (`CI=true`, or any value but `false`/`0`/empty, as CI services set it). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI?.trim().toLowerCase();
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

/**
 * Decides what a test does when something it needs (a browser, promtool, Python with torch,
 * `../shared/data`) is absent: returns `true` when it is present; otherwise, in CI, throws, because a
 * missing prerequisite there is a broken machine, not a reason to pass; locally it prints why the
 * test is skipped and returns `false`.
 *
 * @param what what is needed, e.g. `"../shared/data/sku110k-shelf-sample"`
 * @param present whether it is there
 * @param hint how to get it (an install command, a path)
 */
export function prerequisite(what: string, present: boolean, hint: string, env = process.env): boolean {
  if (present) return true;
  if (isCi(env))
    throw new Error(`${what} is missing, and CI=true makes a missing prerequisite a failure: ${hint}`);
  console.warn(`[skipped] ${what} is missing (${hint}); under CI=true this fails`);
  return false;
}

/**
 * For tests that read the team's data folder (`../shared/data`) in place: {@link prerequisite} on
 * `path`, except that `SHELFWATCH_NO_SHARED_DATA=1` declares a machine without it on purpose (a CI
 * that is a bare clone), where the tests skip even under CI=true.
 */
export function needSharedData(path: string, env = process.env): boolean {
  if (env.SHELFWATCH_NO_SHARED_DATA === '1') {
    console.warn(`[skipped] ${path}: SHELFWATCH_NO_SHARED_DATA=1`);
    return false;
  }
  return prerequisite(
    path,
    existsSync(path),
    'the team data folder ../shared/data, read in place and never committed; SHELFWATCH_NO_SHARED_DATA=1 where a machine has none on purpose',
    env,
  );
}
