import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join, posix } from 'node:path';
import { parse as parseYaml } from 'yaml';

/*
 * No Docker engine runs where the tests run, so these tests read the Dockerfile, the compose file
 * and .dockerignore, and check what a build and a `docker compose up` depend on. The one piece of
 * code the image runs on its own, the HEALTHCHECK command, is run for real against a stub server.
 */

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

// --- A small Dockerfile reader -----------------------------------------------------------------

interface Instruction {
  keyword: string; // upper case: FROM, RUN, COPY, ...
  args: string; // the rest of the line, continuations joined
}

interface Stage {
  base: string; // what FROM names: an image or an earlier stage
  name?: string; // FROM ... AS name
  parent?: Stage; // the earlier stage it is built FROM, if any
  instructions: Instruction[]; // after FROM
}

/** Stages in order; each starts at a FROM. Comment lines go first, as Docker drops them inside continuations too. */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n')
    .replace(/\\[ \t]*\r?\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword.toUpperCase() === 'FROM') {
      const [base, as, name] = args.split(/\s+/).filter((word) => !word.startsWith('--'));
      const parent = stages.find((stage) => stage.name === base);
      stages.push({ base, name: as?.toUpperCase() === 'AS' ? name : undefined, parent, instructions: [] });
    } else {
      if (stages.length === 0) throw new Error(`${keyword} before the first FROM`); // (ARG may; this file uses none)
      stages[stages.length - 1].instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

/** The instructions that shaped a stage's image: its parent stages' first, then its own. */
function lineage(stage: Stage): Instruction[] {
  return [...(stage.parent ? lineage(stage.parent) : []), ...stage.instructions];
}

const rootImage = (stage: Stage): string => (stage.parent ? rootImage(stage.parent) : stage.base);
const all = (stage: Stage, keyword: string) => lineage(stage).filter((i) => i.keyword === keyword);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);
const workdir = (stage: Stage) => last(stage, 'WORKDIR')?.args ?? '/';

/** `KEY=value` into its two halves (the value may hold `=` too). */
const splitPair = (pair: string) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];

/** ENV in its KEY=value form (the only one used here, unquoted), later values winning. */
function env(stage: Stage): Record<string, string> {
  return Object.fromEntries(all(stage, 'ENV').flatMap((i) => i.args.split(/\s+/).map(splitPair)));
}

/** COPY's flags, sources and destination. */
function copyParts(args: string) {
  const words = args.split(/\s+/);
  const flags = words.filter((word) => word.startsWith('--'));
  const paths = words.filter((word) => !word.startsWith('--'));
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
}

/** An exec-form command (`["node", "x.js"]`), after the options of HEALTHCHECK if any. */
function execForm(args: string): string[] {
  return JSON.parse(args.slice(args.indexOf('[')));
}

/**
 * True when a stage's image holds no dev dependency: every `npm ci`/`npm install` in its lineage
 * omits them or is pruned afterwards, and any node_modules copied from another stage is itself
 * free of them.
 */
function withoutDevDependencies(stage: Stage, stages: Stage[]): boolean {
  const runs = all(stage, 'RUN').map((i) => i.args);
  const installsDev = runs.some(
    (run, index) =>
      /\bnpm\s+(ci|install|i)\b/.test(run) &&
      !/--omit[= ]dev\b/.test(run) &&
      !runs.slice(index).some((later) => /\bnpm\s+prune\b.*--omit[= ]dev\b/.test(later)),
  );
  const copiesDirtyModules = all(stage, 'COPY').some((i) => {
    const { from, sources } = copyParts(i.args);
    const source = stages.find((s) => s.name === from);
    if (!source) return false;
    const modules = posix.join(workdir(source), 'node_modules');
    const carriesModules = sources.some((src) => {
      const path = posix.resolve('/', src);
      return path.includes('node_modules') || modules.startsWith(path.endsWith('/') ? path : `${path}/`);
    });
    return carriesModules && !withoutDevDependencies(source, stages);
  });
  return !installsDev && !copiesDirtyModules;
}

// --- Compose helpers ---------------------------------------------------------------------------

type Service = Record<string, any>;

/** `environment` as a map, from either of compose's two forms. */
function environment(service: Service): Record<string, string | null> {
  const value = service.environment ?? {};
  if (!Array.isArray(value)) return value;
  return Object.fromEntries(value.map((entry: string) => (entry.includes('=') ? splitPair(entry) : [entry, null])));
}

/** Short-syntax volume entries as { source, target, mode }. */
function mounts(service: Service) {
  return (service.volumes ?? []).map((entry: string) => {
    const [source, target, mode] = entry.split(':');
    return { source, target, mode };
  });
}

const envFiles = (service: Service): string[] =>
  [service.env_file ?? []].flat().map((entry: string | { path: string }) => (typeof entry === 'string' ? entry : entry.path));

const publishes3000 = (service: Service) => (service.ports ?? []).some((port: unknown) => String(port) === '3000:3000');

/** Runs the image's HEALTHCHECK command on this Node against a port; resolves with its exit code. */
function runHealthcheck(command: string[], port: number): Promise<number | null> {
  expect(command[0]).toBe('node');
  const child = spawn(process.execPath, command.slice(1), { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
}

async function stubServer(status: number): Promise<{ server: Server; port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((request, response) => {
    paths.push(request.url ?? '');
    response.writeHead(request.url === '/health' ? status : 404).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, paths };
}

// --- The tests ---------------------------------------------------------------------------------

describe('Dockerfile', () => {
  const stages = parseDockerfile(read('Dockerfile'));
  const final = stages.at(-1)!;
  const stateDir = posix.resolve(workdir(final), env(final).LOCAL_STATE_DIR ?? '.fleet-state');

  it('builds in several stages, every one on a Node 24 image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(rootImage(stage)).toMatch(/^node:24([.-]|$)/);
  });

  it('compiles dist/ in a build stage', () => {
    const build = stages.find((stage) => all(stage, 'RUN').some((i) => /\bnpm run build\b/.test(i.args)));
    expect(build).toBeDefined();
    expect(build).not.toBe(final);
    expect(final.instructions).toContainEqual({ keyword: 'COPY', args: expect.stringMatching(new RegExp(`^--from=${build!.name}\\s+\\S*/dist\\s`)) });
  });

  it('ships no dev dependencies in the final stage', () => {
    expect(withoutDevDependencies(final, stages)).toBe(true);
    // The reader itself must catch a plain install, or the check above proves nothing.
    const careless = parseDockerfile('FROM node:24-bookworm-slim\nWORKDIR /app\nRUN npm ci\n');
    expect(withoutDevDependencies(careless[0], careless)).toBe(false);
  });

  it('runs in production mode as the non-root node user, from /app', () => {
    expect(env(final).NODE_ENV).toBe('production');
    expect(last(final, 'USER')?.args).toBe('node');
    expect(workdir(final)).toBe('/app');
  });

  it('declares the state directory, owned by node, as a volume', () => {
    const volumes = all(final, 'VOLUME').flatMap((i) => (i.args.startsWith('[') ? JSON.parse(i.args) : i.args.split(/\s+/)));
    expect(volumes).toContain(stateDir);
    expect(all(final, 'RUN').some((i) => i.args.includes(`chown node:node ${stateDir}`))).toBe(true);
  });

  it('exposes 3000 and runs dist/main.js with node, with the flags of npm start', () => {
    expect(all(final, 'EXPOSE').map((i) => i.args)).toContain('3000');
    const npmStart: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start;
    expect(execForm(last(final, 'CMD')!.args)).toEqual(npmStart.split(/\s+/));
    expect(npmStart).toMatch(/^node (--\S+ )*dist\/main\.js$/);
    expect(existsSync(join(ROOT, 'src', 'main.ts'))).toBe(true); // tsc -p tsconfig.build.json turns it into dist/main.js
  });

  it('copies only paths that exist in the repository and that .dockerignore lets through', () => {
    const ignored = dockerignore();
    stages.forEach((stage, index) => {
      for (const { args } of stage.instructions.filter((i) => i.keyword === 'COPY')) {
        const { from, sources } = copyParts(args);
        if (from) {
          // dist and node_modules are made in the stage named, which must come earlier.
          const source = stages.findIndex((s) => s.name === from);
          expect(source).toBeGreaterThanOrEqual(0);
          expect(source).toBeLessThan(index);
          continue;
        }
        for (const source of sources) {
          expect(existsSync(join(ROOT, source))).toBe(true);
          expect(ignored).not.toContain(source.split('/')[0]);
        }
      }
    });
  });

  describe('HEALTHCHECK', () => {
    const check = last(final, 'HEALTHCHECK')!;
    const command = execForm(check.args);

    it('asks GET /health of the manager itself, with node (slim images have no curl)', () => {
      expect(check.args).toMatch(/^(--\S+\s+)*CMD\s+\[/);
      expect(command[0]).toBe('node');
      expect(command.join(' ')).toContain('http://127.0.0.1:');
    });

    it('passes when /health answers 200 and fails on 503 or when nothing listens', async () => {
      const up = await stubServer(200);
      const down = await stubServer(503);
      try {
        expect(await runHealthcheck(command, up.port)).toBe(0);
        expect(up.paths).toEqual(['/health']);
        expect(await runHealthcheck(command, down.port)).toBe(1);
      } finally {
        up.server.close();
        down.server.close();
      }
      const closed = await stubServer(200);
      await new Promise((resolve) => closed.server.close(resolve));
      expect(await runHealthcheck(command, closed.port)).toBe(1);
    });
  });
});

function dockerignore(): string[] {
  return read('.dockerignore')
    .split('\n')
    .map((line) => line.trim().replace(/^\/+|\/+$/g, ''))
    .filter((line) => line && !line.startsWith('#') && !line.startsWith('!'));
}

describe('.dockerignore', () => {
  it('keeps dependencies, build output, local state and secrets out of the build context', () => {
    expect(dockerignore()).toEqual(expect.arrayContaining(['node_modules', 'dist', '.env', '.fleet-state']));
  });
});

describe('docker-compose.yml', () => {
  // Merge keys (<<: *anchor) as Compose reads them; YAML 1.2 alone would keep '<<' as a plain key.
  const compose = parseYaml(read('docker-compose.yml'), { merge: true });
  const dockerfile = parseDockerfile(read('Dockerfile'));
  const final = dockerfile.at(-1)!;
  const stateDir = posix.resolve(workdir(final), env(final).LOCAL_STATE_DIR ?? '.fleet-state');
  const local: Service = compose.services['fleet-manager'];
  const ecs: Service = compose.services['fleet-manager-ecs'];

  it('defines the local service, the ecs one and two standby managers, all built from the Dockerfile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['fleet-host', 'fleet-manager', 'fleet-manager-ecs', 'manager-a', 'manager-b']);
    for (const service of [local, ecs, compose.services['manager-a'], compose.services['manager-b']]) {
      expect(service.build).toBe('.');
      expect(service.restart).toBe('unless-stopped');
      expect(service.healthcheck?.disable).not.toBe(true); // the image's HEALTHCHECK applies
    }
  });

  it('runs the local service on the local platform, on port 3000, by default', () => {
    expect(local.profiles).toBeUndefined();
    expect(publishes3000(local)).toBe(true);
    expect(environment(local)).toMatchObject({ PLATFORM: 'local', PORT: '3000' });
  });

  it('keeps the local state on a named volume mounted at the image’s LOCAL_STATE_DIR', () => {
    const state = mounts(local).find((mount: { target: string }) => mount.target === stateDir);
    expect(state).toBeDefined();
    expect(Object.keys(compose.volumes)).toContain(state.source);
    expect(environment(local).LOCAL_STATE_DIR ?? stateDir).toBe(stateDir);
  });

  it('offers a standby profile: two local managers on one state volume, in the namespaces of a host that outlives either', () => {
    const host: Service = compose.services['fleet-host'];
    const managers: Service[] = [compose.services['manager-a'], compose.services['manager-b']];
    expect(host.profiles).toEqual(['standby']);
    expect(host.init).toBe(true);
    const ports = managers.map((manager) => environment(manager).PORT);
    expect(ports).toEqual(['3100', '3101']);
    expect(host.ports).toEqual(ports.map((port) => `${port}:${port}`));
    for (const manager of managers) {
      expect(manager.profiles).toEqual(['standby']);
      expect(environment(manager).PLATFORM).toBe('local');
      expect(manager.network_mode).toBe('service:fleet-host');
      expect(manager.pid).toBe('service:fleet-host');
      expect(mounts(manager).find((mount: { target: string }) => mount.target === stateDir)?.source).toBe('standby-state');
    }
    expect(Object.keys(compose.volumes)).toContain('standby-state');
  });

  it('offers an ecs profile: PLATFORM=ecs, settings from .env, ~/.aws read-only for the node user', () => {
    expect(ecs.profiles).toEqual(['ecs']);
    expect(publishes3000(ecs)).toBe(true);
    expect(envFiles(ecs)).toContain('.env');
    expect(environment(ecs)).toMatchObject({ PLATFORM: 'ecs', PORT: '3000' });
    expect(environment(ecs)).toHaveProperty('AWS_PROFILE'); // passed through from the shell
    expect(mounts(ecs)).toContainEqual({ source: '${HOME}/.aws', target: `/home/${last(final, 'USER')!.args}/.aws`, mode: 'ro' });
  });
});
