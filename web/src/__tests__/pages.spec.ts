import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const web = fileURLToPath(new URL('../..', import.meta.url));

/** The code of the pages (tests left out), as one string. */
function sources(dir: string): string {
  return readdirSync(dir, { withFileTypes: true })
    .map((e) =>
      e.isDirectory()
        ? e.name === '__tests__'
          ? ''
          : sources(join(dir, e.name))
        : e.name.endsWith('.ts')
          ? readFileSync(join(dir, e.name), 'utf8')
          : '',
    )
    .join('\n');
}

describe('the pages', () => {
  it('have no dead buttons: the code looks up every type="button" by its id', () => {
    const code = sources(join(web, 'src'));
    for (const page of ['index.html', 'dashboard.html']) {
      const html = readFileSync(join(web, page), 'utf8');
      const ids = [...html.matchAll(/<button\b[^>]*\btype="button"[^>]*\bid="([^"]+)"/g)].map((m) => m[1]!);
      expect(ids.length, page).toBeGreaterThan(0);
      const dead = ids.filter((id) => !code.includes(`('${id}')`));
      expect(dead, `${page}: buttons the code never wires`).toEqual([]);
    }
  });
});
