import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type RunningServer, shelfPng, startServer, waitForServerBuild } from '@shelfwatch/test-utils';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/helm.js';

// No Docker engine here: the Dockerfile is checked statically, its model-staging step is run, and
// the .dockerignore rules are evaluated against real paths.

type Instruction = { op: string; args: string };
type Stage = { from: string; name?: string; instructions: Instruction[] };

function parseDockerfile(text: string): Stage[] {
  const joined = text.replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, op = '', args = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args) ?? [];
      stages.push({ from, name, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

/** .dockerignore semantics (moby patternmatcher): last matching rule wins, `!` re-includes, a
 * pattern matching a directory covers everything below it, `**` spans directories. */
function dockerIgnored(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const source = pattern
      .split(/(\*\*\/|\*\*|\*|\?)/)
      .map((part) => {
        if (part === '**/') return '(?:.*/)?';
        if (part === '**') return '.*';
        if (part === '*') return '[^/]*';
        if (part === '?') return '[^/]';
        return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    if (new RegExp(`^${source}(?:/.*)?$`).test(path)) ignored = !negate;
  }
  return ignored;
}

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const runtime = stages.at(-1)!;
const build = stages.find((s) => s.name === 'build')!;
const ignorePatterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const ops = (stage: Stage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);

describe('Dockerfile', () => {
  it('is multi-stage on Node 20 slim Debian (glibc for onnxruntime-node and sharp)', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-bookworm-slim$/m);
    for (const s of stages) expect(s.from).toBe(`\${NODE_IMAGE}`);
  });

  it('build stage: frozen lockfile, onnxruntime-node-install=skip, production deploy of the server', () => {
    const runs = ops(build, 'RUN').join('\n');
    expect(runs).toContain('pnpm install --offline --frozen-lockfile');
    expect(runs).toMatch(/pnpm --filter @shelfwatch\/server deploy --prod \/out\/server/);
    expect(runs).toContain(`node deploy/docker/stage-model.mjs models /out/models "\${MODEL_VERSION}"`);
    expect(ops(build, 'COPY')[0]).toContain('.npmrc');
    expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).toMatch(/^onnxruntime-node-install=skip$/m);
  });

  it('runtime stage: non-root numeric USER, only prod files, healthcheck, OCI labels, DATA_DIR volume', () => {
    const user = ops(runtime, 'USER');
    expect(user).toHaveLength(1);
    expect(user[0]).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/); // numeric, so runAsNonRoot can verify it
    // USER comes before CMD and HEALTHCHECK: the server never runs as root
    const order = runtime.instructions.map((i) => i.op);
    expect(order.indexOf('USER')).toBeLessThan(order.indexOf('CMD'));
    expect(ops(runtime, 'RUN').join('\n')).not.toMatch(/pnpm|npm install|apt-get/);
    const copies = ops(runtime, 'COPY');
    for (const c of copies) expect(c).toMatch(/^--from=build /);
    expect(copies.map((c) => c.split(/\s+/).at(-1))).toEqual([
      '/app/server/package.json',
      '/app/server/node_modules',
      '/app/server/dist',
      '/app/web/dist',
      '/app/models',
    ]);
    const [healthcheck] = ops(runtime, 'HEALTHCHECK');
    expect(healthcheck).toContain('/health/live');
    expect(healthcheck).toContain('CMD ["node", "-e"');
    expect(ops(runtime, 'CMD')).toEqual(['["node", "server/dist/server.js"]']);
    const labels = ops(runtime, 'LABEL').join(' ');
    expect(labels).toContain(`org.opencontainers.image.version="\${MODEL_VERSION}"`);
    for (const key of ['title', 'revision', 'created', 'source', 'licenses']) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
    expect(ops(runtime, 'ARG')).toContain('MODEL_VERSION=unknown');
    expect(ops(runtime, 'ENV').join(' ')).toMatch(/DATA_DIR=\/data/);
    // production mode (no development key) and the allocator settings the memory bound relies on
    expect(ops(runtime, 'ENV').join(' ')).toMatch(
      /NODE_ENV=production.*MALLOC_ARENA_MAX=2.*MALLOC_TRIM_THRESHOLD_=131072/,
    );
    expect(ops(runtime, 'VOLUME')).toEqual(['["/data"]']);
    expect(ops(runtime, 'EXPOSE')).toEqual(['8080']);
  });

  it('the healthcheck script is valid JavaScript', () => {
    const [, script] = /"-e", "(.*)"\]/.exec(ops(runtime, 'HEALTHCHECK')[0]!) ?? [];
    expect(() => new Function(script!)).not.toThrow();
  });

  it('runs the server entry point the build produces', () => {
    expect(
      existsSync(join(ROOT, 'server/dist/server.js')),
      'server/dist/server.js: run the build first',
    ).toBe(true);
  });
});

describe('.dockerignore', () => {
  const ignored = (p: string) => dockerIgnored(ignorePatterns, p);

  it('keeps node_modules, tests and data out of the build context', () => {
    for (const p of [
      'node_modules/fastify/package.json',
      'server/node_modules/sharp/package.json',
      'server/dist/server.js',
      'shared/__tests__/nms.spec.ts',
      'server/test/routes/predict.spec.ts',
      'models/tests/test_export.py',
      'e2e/pwa.spec.ts',
      '.data/pglite/PG_VERSION',
      'server/.data/pglite/base',
      'models/runs/main/best.pt',
      'models/.cache/x',
      '.git/HEAD',
      'charts/shelfwatch/values.yaml',
    ]) {
      expect(ignored(p), p).toBe(true);
    }
  });

  it('keeps what the build needs', () => {
    const needed = [
      'package.json',
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      '.npmrc',
      'tsconfig.base.json',
      'vite.config.ts',
      'deploy/docker/stage-model.mjs',
      'models/manifest.json',
    ];
    for (const pkg of ['shared', 'server', 'web', 'models'])
      needed.push(`${pkg}/package.json`, `${pkg}/tsconfig.json`);
    // every workspace package's manifest, or `pnpm install --frozen-lockfile` sees another workspace
    const workspace = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
    for (const [, pkg] of workspace.matchAll(/^\s*-\s*['"]?([\w./-]+)['"]?\s*$/gm))
      needed.push(`${pkg}/package.json`);
    for (const dir of ['server/src', 'shared/src', 'web/src']) {
      if (!existsSync(join(ROOT, dir))) continue;
      const source = readdirSync(join(ROOT, dir)).find(
        (f) => /\.tsx?$/.test(f) && !/\.(spec|test)\./.test(f),
      );
      if (source) needed.push(`${dir}/${source}`);
    }
    for (const p of needed) expect(ignored(p), p).toBe(false);
    // every file the Dockerfile copies by name exists and is in the context
    for (const file of ops(build, 'COPY')[0]!.split(/\s+/).slice(0, -1)) {
      expect(existsSync(join(ROOT, file)), file).toBe(true);
      expect(ignored(file), file).toBe(false);
    }
  });

  it('ships the INT8 model named by the manifest', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'models/manifest.json'), 'utf8')) as { int8: string };
    expect(ignored(`models/${manifest.int8}`)).toBe(false);
  });
});

describe('deploy/docker/stage-model.mjs (the build step that puts the model into the image)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'shelfwatch-stage-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const stage = (models: string, out: string, version?: string) =>
    execFileSync(
      process.execPath,
      [join(ROOT, 'deploy/docker/stage-model.mjs'), models, out, ...(version ? [version] : [])],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );

  it('copies the manifest and the INT8 file only, and checks the version', () => {
    const models = join(tmp, 'models');
    mkdirSync(join(models, 'runs'), { recursive: true });
    const manifest = {
      name: 'det',
      version: '1.4.0',
      int8: 'det-1.4.0.int8.onnx',
      fp32: 'det-1.4.0.fp32.onnx',
      imgsz: 640,
    };
    writeFileSync(join(models, 'manifest.json'), JSON.stringify(manifest));
    writeFileSync(join(models, manifest.int8), 'int8');
    writeFileSync(join(models, manifest.fp32), 'fp32');
    writeFileSync(join(models, 'runs/best.pt'), 'pt');
    stage(models, join(tmp, 'out'), '1.4.0');
    expect(readdirSync(join(tmp, 'out')).sort()).toEqual(['det-1.4.0.int8.onnx', 'manifest.json']);
    expect(() => stage(models, join(tmp, 'out2'), '1.5.0')).toThrow(/does not match/);
  });

  it('stages the real shipped model', () => {
    const out = join(tmp, 'real');
    const manifest = JSON.parse(readFileSync(join(ROOT, 'models/manifest.json'), 'utf8')) as {
      version: string;
      int8: string;
    };
    expect(stage(join(ROOT, 'models'), out, manifest.version)).toContain(manifest.version);
    expect(existsSync(join(out, manifest.int8))).toBe(true);
  });
});

describe('the runtime layout, assembled as the Dockerfile does and run as an unprivileged user', () => {
  // What the image build does after `pnpm install`, minus Docker: `pnpm deploy --prod`, the model
  // staging, the runtime COPY lines (read from the Dockerfile), the runtime ENV, a non-root user that
  // cannot write the app folder, and the HEALTHCHECK command itself.
  const tmp = mkdtempSync(join(tmpdir(), 'shelfwatch-image-'));
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('serves /health/ready, /predict and the PWA; the HEALTHCHECK passes', async () => {
    await waitForServerBuild();
    const out = join(tmp, 'out');
    // the pnpm that runs this test (npm_execpath under `pnpm test`), else the one on PATH
    const execPath = process.env.npm_execpath ?? '';
    const [pnpm, ...pnpmArgs] = !/pnpm/.test(execPath)
      ? ['pnpm']
      : /\.[cm]?js$/.test(execPath)
        ? [process.execPath, execPath]
        : [execPath];
    execFileSync(
      pnpm!,
      [...pnpmArgs, '--filter', '@shelfwatch/server', 'deploy', '--prod', join(out, 'server')],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
    const manifest = JSON.parse(readFileSync(join(ROOT, 'models/manifest.json'), 'utf8')) as {
      version: string;
    };
    execFileSync(
      process.execPath,
      ['deploy/docker/stage-model.mjs', 'models', join(out, 'models'), manifest.version],
      {
        cwd: ROOT,
        stdio: 'pipe',
      },
    );
    // COPY --from=build <src> <dest>: /out/* comes from the steps above, /src/* is the built workspace
    const app = join(tmp, 'app');
    for (const copy of ops(runtime, 'COPY')) {
      const [, src = '', dest = ''] = /^--from=build (\S+) (\S+)$/.exec(copy) ?? [];
      const from = src.startsWith('/out/')
        ? join(out, src.slice(5))
        : join(ROOT, src.replace(/^\/src\//, ''));
      expect(existsSync(from), `${copy}: ${from}`).toBe(true);
      const to = join(app, dest.replace(/^\/app\//, ''));
      mkdirSync(dirname(to), { recursive: true });
      // the staged outputs are moved (node_modules is large), the workspace's own files copied
      if (src.startsWith('/out/')) renameSync(from, to);
      else cpSync(from, to, { recursive: true });
    }
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    for (const line of ops(runtime, 'ENV')) {
      for (const [, key, value] of line.matchAll(/(\w+)=(\S+)/g))
        env[key!] = value!.replace(/^\/app\//, `${app}/`);
    }
    Object.assign(env, {
      WORKERS: '1',
      LOG_LEVEL: 'warn',
      DATA_DIR: join(tmp, 'data'),
      // What a deployment's Secret provides: the image has no keys and refuses to start without them.
      API_KEYS: JSON.stringify([{ name: 'image-test', sha256: '0'.repeat(64), stores: ['store-1'] }]),
      SHUTDOWN_DRAIN_DELAY_MS: '0',
    });
    mkdirSync(join(tmp, 'data'));
    // As root (CI), drop to `nobody`: the app files stay root-owned and read-only to the server,
    // as in the image; only DATA_DIR is writable.
    const asRoot = process.getuid?.() === 0 && spawnSync('setpriv', ['--help']).status === 0;
    if (asRoot) {
      execFileSync('chown', ['65534:65534', join(tmp, 'data')]);
      chmodSync(tmp, 0o755);
    }
    const [cmd, ...args] = JSON.parse(ops(runtime, 'CMD')[0]!) as string[];
    expect(cmd).toBe('node');
    const command = asRoot ? 'setpriv' : process.execPath;
    const argv = asRoot
      ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args]
      : args;
    server = await startServer({ name: 'server (image layout)', command, args: argv, cwd: app, env });
    const { baseURL: base, port } = server;
    const predict = await fetch(`${base}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: shelfPng(),
    });
    expect(predict.status).toBe(200);
    expect(((await predict.json()) as { model: { version: string } }).model.version).toBe(manifest.version);
    expect((await fetch(`${base}/`)).headers.get('content-type')).toMatch(/text\/html/);
    // the HEALTHCHECK's own command, with the container's PORT
    const [, script] = /"-e", "(.*)"\]/.exec(ops(runtime, 'HEALTHCHECK')[0]!) ?? [];
    expect(spawnSync(process.execPath, ['-e', script!], { env: { PORT: String(port) } }).status).toBe(0);
  }, 150_000);
});
