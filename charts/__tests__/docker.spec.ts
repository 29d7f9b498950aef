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
import {
  DockerfileParser,
  From,
  JSONInstruction,
  ModifiableInstruction,
  PropertyInstruction,
} from 'dockerfile-ast';
import { parse as parseShell } from 'shell-quote';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/helm.js';

// No Docker engine here: the Dockerfile is parsed (dockerfile-ast; RUN lines with shell-quote) and checked, its model-staging step is run, and
// the .dockerignore rules are evaluated against real paths.

/** One instruction, as dockerfile-ast parses it (the parser of the VS Code Docker extension). */
interface Instruction {
  keyword: string;
  /** The arguments after the flags, quotes kept as written. */
  args: string[];
  /** `--from=build` -> `{ from: 'build' }`. */
  flags: Record<string, string>;
  /** `KEY=value` pairs of ARG, ENV and LABEL, quotes removed. */
  props: Record<string, string>;
  /** The exec form of CMD, VOLUME, COPY (JSON array), or the HEALTHCHECK's `CMD [...]`. */
  json?: string[];
}
interface Stage {
  name: string | null;
  image: string | null;
  instructions: Instruction[];
}

function parseDockerfile(text: string): { initialArgs: Record<string, string>; stages: Stage[] } {
  const df = DockerfileParser.parse(text);
  const pairs = (list: { getName(): string; getValue(): string | null }[]) =>
    Object.fromEntries(list.map((p) => [p.getName(), p.getValue() ?? '']));
  const stages: Stage[] = [];
  for (const i of df.getInstructions()) {
    const keyword = i.getKeyword();
    const args = i.getArguments().map((a) => a.getValue());
    const flags =
      i instanceof ModifiableInstruction
        ? Object.fromEntries(i.getFlags().map((f) => [f.getName(), f.getValue() ?? '']))
        : {};
    const props = i instanceof PropertyInstruction ? pairs(i.getProperties()) : {};
    let json: string[] | undefined;
    if (i instanceof JSONInstruction && i.getJSONStrings().length > 0)
      json = i.getJSONStrings().map((j) => j.getJSONValue());
    if (keyword === 'HEALTHCHECK' && args[0] === 'CMD')
      json = JSON.parse(args.slice(1).join(' ')) as string[];
    if (i instanceof From) stages.push({ name: i.getBuildStage(), image: i.getImage(), instructions: [] });
    else stages.at(-1)?.instructions.push({ keyword, args, flags, props, json });
  }
  return { initialArgs: pairs(df.getInitialARGs().flatMap((a) => a.getProperties())), stages };
}

/** The commands of a RUN (shell form), split at `&&`, `;` and `|`, each as its argv; `${VAR}` kept. */
function commands(run: Instruction): string[][] {
  const out: string[][] = [[]];
  for (const token of parseShell(run.args.join(' '), (name) => `\${${name}}`)) {
    if (typeof token === 'string') out.at(-1)!.push(token);
    else if ('op' in token) out.push([]);
  }
  return out.filter((c) => c.length > 0);
}

/** `.npmrc` as key/value pairs (ini, comments dropped). */
function readNpmrc(text: string): Record<string, string> {
  const entries = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith(';') && l.includes('='))
    .map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()]);
  return Object.fromEntries(entries);
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

const { initialArgs, stages } = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;
const build = stages.find((s) => s.name === 'build')!;
const ignorePatterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const only = (stage: Stage, keyword: string) => {
  const found = all(stage, keyword);
  expect(found, `${stage.name}: one ${keyword}`).toHaveLength(1);
  return found[0]!;
};
const merged = (stage: Stage, keyword: string) =>
  Object.assign({}, ...all(stage, keyword).map((i) => i.props)) as Record<string, string>;
const runs = (stage: Stage) => all(stage, 'RUN').flatMap(commands);
const healthScript = () => {
  const [node, flag, script] = only(runtime, 'HEALTHCHECK').json ?? [];
  expect([node, flag]).toEqual(['node', '-e']);
  return script!;
};

describe('Dockerfile', () => {
  it('is multi-stage on Node 20 slim Debian (glibc for onnxruntime-node and sharp)', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(initialArgs.NODE_IMAGE).toBe('node:20-bookworm-slim');
    for (const s of stages) expect(s.image).toBe(`\${NODE_IMAGE}`);
  });

  it('build stage: frozen lockfile, onnxruntime-node-install=skip, production deploy of the server', () => {
    expect(runs(build)).toEqual(
      expect.arrayContaining([
        ['pnpm', 'install', '--offline', '--frozen-lockfile'],
        ['pnpm', '--filter', '@shelfwatch/server', 'deploy', '--prod', '/out/server'],
        ['node', 'deploy/docker/stage-model.mjs', 'models', '/out/models', `\${MODEL_VERSION}`],
      ]),
    );
    // the install runs after `COPY . .`, the lockfile-only fetch before it
    const order = build.instructions.map((i) =>
      i.keyword === 'COPY' ? `COPY ${i.args[0]}` : i.args.join(' '),
    );
    expect(order.indexOf('COPY .')).toBeLessThan(order.indexOf('pnpm install --offline --frozen-lockfile'));
    expect(all(build, 'COPY')[0]!.args).toContain('.npmrc');
    expect(readNpmrc(readFileSync(join(ROOT, '.npmrc'), 'utf8'))['onnxruntime-node-install']).toBe('skip');
  });

  it('runtime stage: non-root numeric USER, only prod files, healthcheck, OCI labels, DATA_DIR volume', () => {
    expect(only(runtime, 'USER').args[0]).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/); // numeric, so runAsNonRoot can verify it
    // USER comes before CMD and HEALTHCHECK: the server never runs as root
    const order = runtime.instructions.map((i) => i.keyword);
    expect(order.indexOf('USER')).toBeLessThan(order.indexOf('CMD'));
    expect(order.indexOf('USER')).toBeLessThan(order.indexOf('HEALTHCHECK'));
    for (const command of runs(runtime))
      expect(['pnpm', 'npm', 'apt-get', 'corepack']).not.toContain(command[0]);
    const copies = all(runtime, 'COPY');
    for (const c of copies) expect(c.flags).toEqual({ from: 'build' });
    expect(copies.map((c) => c.args.at(-1))).toEqual([
      '/app/server/package.json',
      '/app/server/node_modules',
      '/app/server/dist',
      '/app/web/dist',
      '/app/models',
    ]);
    expect(healthScript()).toContain('/health/live');
    expect(only(runtime, 'HEALTHCHECK').flags).toMatchObject({ interval: '30s', retries: '3' });
    expect(only(runtime, 'CMD').json).toEqual(['node', 'server/dist/server.js']);
    const labels = merged(runtime, 'LABEL');
    expect(labels['org.opencontainers.image.version']).toBe(`\${MODEL_VERSION}`);
    for (const key of ['title', 'revision', 'created', 'source', 'licenses']) {
      expect(labels[`org.opencontainers.image.${key}`], key).toBeTruthy();
    }
    expect(merged(runtime, 'ARG').MODEL_VERSION).toBe('unknown');
    // production mode (no development key) and the allocator settings the memory bound relies on
    expect(merged(runtime, 'ENV')).toMatchObject({
      DATA_DIR: '/data',
      NODE_ENV: 'production',
      MALLOC_ARENA_MAX: '2',
      MALLOC_TRIM_THRESHOLD_: '131072',
    });
    expect(only(runtime, 'VOLUME').json).toEqual(['/data']);
    expect(only(runtime, 'EXPOSE').args).toEqual(['8080']);
  });

  it('the healthcheck script is valid JavaScript', () => {
    expect(() => new Function(healthScript())).not.toThrow();
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
    for (const file of all(build, 'COPY')[0]!.args.slice(0, -1)) {
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
    for (const copy of all(runtime, 'COPY')) {
      const [src = '', dest = ''] = copy.args;
      const from = src.startsWith('/out/')
        ? join(out, src.slice(5))
        : join(ROOT, src.replace(/^\/src\//, ''));
      expect(existsSync(from), `COPY ${src} ${dest}: ${from}`).toBe(true);
      const to = join(app, dest.replace(/^\/app\//, ''));
      mkdirSync(dirname(to), { recursive: true });
      // the staged outputs are moved (node_modules is large), the workspace's own files copied
      if (src.startsWith('/out/')) renameSync(from, to);
      else cpSync(from, to, { recursive: true });
    }
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    for (const [key, value] of Object.entries(merged(runtime, 'ENV')))
      env[key] = value.replace(/^\/app\//, `${app}/`);
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
    const [cmd, ...args] = only(runtime, 'CMD').json!;
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
    expect(spawnSync(process.execPath, ['-e', healthScript()], { env: { PORT: String(port) } }).status).toBe(
      0,
    );
  }, 150_000);
});
