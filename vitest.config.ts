import { defineConfig } from 'vitest/config';

// One runner for every package. `source` makes workspace imports resolve to TypeScript sources,
// so unit tests never depend on a stale build.
export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    projects: ['shared', 'test-utils', 'server', 'models', 'web', 'charts'].map((name) => ({
      extends: true,
      test: {
        name,
        root: name,
        include: ['**/__tests__/**/*.spec.ts', 'test/**/*.spec.ts'],
        exclude: ['**/node_modules/**', '**/dist/**'],
      },
    })),
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
