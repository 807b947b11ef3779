/**
 * Deployment files: Dockerfile, .dockerignore, docker-compose.yml, prometheus.yml and .env.example must agree
 * with each other and with the gateway (port, health and metrics paths, the CLI entry point, variables).
 * With `promtool` on PATH the Prometheus config and a live gateway's /metrics are also checked by Prometheus's
 * own tool; without it those two tests are reported as skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway } from '../support/harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const file = (name: string) => `${ROOT}${name}`;
const read = (name: string) => readFileSync(file(name), 'utf8');

// promtool comes with Prometheus; on Debian/Ubuntu: `apt-get install -y --no-install-recommends prometheus`.
const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

type Dict = Record<string, unknown>;
interface Service {
  build?: string | { context?: string; dockerfile?: string };
  image?: string;
  ports?: Array<string | number | { target?: number | string; published?: number | string }>;
  environment?: Dict | string[];
  env_file?: string | Array<string | { path: string; required?: boolean }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: Array<string | { type?: string; source?: string; target?: string; read_only?: boolean }>;
  command?: string | string[];
}
interface Compose {
  services: Record<string, Service>;
}
interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs?: Array<{ targets?: string[] }>;
}
interface PromConfig {
  global?: { scrape_interval?: string };
  scrape_configs?: ScrapeConfig[];
}

const compose = load(read('docker-compose.yml')) as Compose;
const prom = load(read('prometheus.yml')) as PromConfig;
const services = compose.services;

function environmentOf(s: Service): Record<string, string> {
  if (Array.isArray(s.environment)) {
    return Object.fromEntries(
      s.environment.map((e) => {
        const i = e.indexOf('=');
        return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** [published, target] pairs of a service's port mappings (short "host:container[/proto]" or long syntax). */
function portsOf(s: Service): Array<{ published: number | undefined; target: number }> {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') return { published: p.published === undefined ? undefined : Number(p.published), target: Number(p.target) };
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const target = Number(parts.at(-1));
    return { published: parts.length > 1 ? Number(parts.at(-2)) : undefined, target };
  });
}

function buildContext(s: Service): string | undefined {
  if (s.build === undefined) return undefined;
  return typeof s.build === 'string' ? s.build : (s.build.context ?? '.');
}

/** Gateway services: built from this repository, or running the image such a service builds. */
const builtImages = new Set(
  Object.values(services)
    .filter((s) => buildContext(s) === '.' && s.image)
    .map((s) => s.image!),
);
const gatewayServices = Object.entries(services).filter(([, s]) => buildContext(s) === '.' || (s.image !== undefined && builtImages.has(s.image)));

/** The port the gateway listens on inside its container: PORT from the environment, else config.yaml's default. */
function containerPort(s: Service): number {
  const port = environmentOf(s).PORT;
  if (port) return Number(port);
  const m = /^\s*port:\s*\$\{PORT:-(\d+)\}/m.exec(read('config.yaml'));
  return Number(m?.[1] ?? 8000);
}

/** Dockerfile instructions (continuations joined, comments dropped), grouped by FROM stage. */
function dockerfileStages(text: string): Array<Array<{ op: string; args: string }>> {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (/^\s*#/.test(raw)) continue; // also inside a continuation, as Docker does
    const line = raw.replace(/\s+$/, '');
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    current += line;
    if (current.trim()) logical.push(current.trim());
    current = '';
  }
  if (current.trim()) logical.push(current.trim());
  const stages: Array<Array<{ op: string; args: string }>> = [];
  for (const l of logical) {
    const m = /^(\w+)\s*(.*)$/.exec(l)!;
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stages.push([]);
    stages.at(-1)?.push({ op, args: m[2]! });
  }
  return stages;
}

/** Names of ${VAR}, ${VAR:-default}, ${VAR-x}, ${VAR:?err}... outside YAML comments (`$${...}` is an escape). */
function referencedVariables(yamlText: string): string[] {
  const names = new Set<string>();
  for (const line of yamlText.split('\n')) {
    const code = line.replace(/(^|\s)#.*$/, '');
    for (const m of code.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?+=-][^}]*)?\}/g)) names.add(m[1]!);
  }
  return [...names].sort();
}

/** Variables that .env.example documents (`NAME=value`, also `export NAME=` or a commented-out `# NAME=`). */
function documentedVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^\s*(?:#\s*)?(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/gm)) names.add(m[1]!);
  return names;
}

describe('docker-compose.yml', () => {
  it('defines the gateway, redis and prometheus services', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['switchyard', 'redis', 'prometheus']));
    expect(services.redis!.image).toMatch(/^redis:7/);
    expect(services.prometheus!.image).toMatch(/^prom\/prometheus(:|$)/);
  });

  it('builds switchyard from this directory and publishes port 8000', () => {
    const sy = services.switchyard!;
    expect(buildContext(sy)).toBe('.');
    const dockerfile = typeof sy.build === 'object' && sy.build.dockerfile ? sy.build.dockerfile : 'Dockerfile';
    expect(existsSync(file(dockerfile))).toBe(true);
    expect(portsOf(sy)).toContainEqual({ published: 8000, target: 8000 });
    expect(containerPort(sy)).toBe(8000);
  });

  it('every gateway instance publishes its container port on a distinct host port and has a health check', () => {
    expect(gatewayServices.length).toBeGreaterThanOrEqual(1);
    const published = new Set<number>();
    for (const [name, s] of gatewayServices) {
      const port = containerPort(s);
      const mapping = portsOf(s).find((p) => p.target === port);
      expect(mapping, `${name} publishes container port ${port}`).toBeDefined();
      if (mapping!.published !== undefined) {
        expect(published.has(mapping!.published), `${name}: host port ${mapping!.published} used twice`).toBe(false);
        published.add(mapping!.published);
      }
      const test = s.healthcheck?.test;
      expect(s.healthcheck?.disable, name).not.toBe(true);
      const cmd = Array.isArray(test) ? test.join(' ') : String(test);
      expect(cmd, `${name} health check`).toContain(`127.0.0.1:${port}/health`);
    }
  });

  it('points every gateway instance at the redis service and waits for it to be healthy', () => {
    expect(services.redis!.healthcheck?.test).toBeDefined();
    expect([services.redis!.healthcheck!.test].flat().join(' ')).toContain('redis-cli ping');
    for (const [name, s] of gatewayServices) {
      const url = new URL(environmentOf(s).REDIS_URL ?? '');
      expect(url.protocol, name).toBe('redis:');
      expect(url.hostname, name).toBe('redis');
      expect(url.port || '6379', name).toBe('6379');
      const deps = s.depends_on;
      expect(deps && !Array.isArray(deps) ? deps.redis?.condition : undefined, name).toBe('service_healthy');
    }
  });

  it('reads .env only if it exists', () => {
    for (const [name, s] of gatewayServices) {
      const entries = [s.env_file ?? []].flat();
      const dotenv = entries.find((e) => (typeof e === 'string' ? e : e.path) === '.env');
      expect(dotenv, `${name} env_file .env`).toBeDefined();
      expect(typeof dotenv === 'object' && dotenv.required === false, `${name}: .env must be optional (required: false)`).toBe(true);
    }
  });

  it('mounts prometheus.yml into the prometheus container', () => {
    const mounts = (services.prometheus!.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source}:${v.target}${v.read_only ? ':ro' : ''}`));
    expect(
      mounts.some((m) => /^\.\/prometheus\.yml:\/etc\/prometheus\/prometheus\.yml(:ro)?$/.test(m)),
      mounts.join(', '),
    ).toBe(true);
    expect(existsSync(file('prometheus.yml'))).toBe(true);
    expect(portsOf(services.prometheus!)).toContainEqual({ published: 9090, target: 9090 });
  });
});

describe('prometheus.yml', () => {
  const jobs = prom.scrape_configs ?? [];
  const job = jobs.find((j) => j.job_name === 'switchyard');
  const targets = (job?.static_configs ?? []).flatMap((c) => c.targets ?? []);

  it('scrapes every 15 seconds with a switchyard job on /metrics', () => {
    expect(prom.global?.scrape_interval).toBe('15s');
    expect(job).toBeDefined();
    expect(job!.metrics_path ?? '/metrics').toBe('/metrics');
  });

  it('scrapes every gateway service in docker-compose.yml at its container port, and nothing else', () => {
    const expected = gatewayServices.map(([name, s]) => `${name}:${containerPort(s)}`).sort();
    expect(expected).toContain('switchyard:8000');
    expect([...targets].sort()).toEqual(expected);
  });

  it.skipIf(!hasPromtool)('passes `promtool check config`', () => {
    const r = spawnSync('promtool', ['check', 'config', 'prometheus.yml'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });
});

describe('Dockerfile', () => {
  const stages = dockerfileStages(read('Dockerfile'));
  const final = stages.at(-1) ?? [];
  const args = (op: string) => final.filter((i) => i.op === op).map((i) => i.args);

  it('is a multi-stage build on Node 20', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const text = read('Dockerfile');
    expect(text).toMatch(/node:20/);
    // The build stage has the devDependencies (TypeScript) and compiles; the final stage copies dist/ from it.
    const build = stages.slice(0, -1).flat();
    expect(build.some((i) => i.op === 'RUN' && /npm ci\b/.test(i.args) && !/--omit[= ]dev/.test(i.args))).toBe(true);
    expect(build.some((i) => i.op === 'RUN' && /npm run build|\btsc\b/.test(i.args))).toBe(true);
    expect(final.some((i) => i.op === 'COPY' && /--from=\S+/.test(i.args) && /\bdist\b/.test(i.args))).toBe(true);
  });

  it('installs production dependencies only in the final stage, without the prepare build', () => {
    const ci = args('RUN').find((a) => /npm ci\b/.test(a));
    expect(ci).toBeDefined();
    expect(ci).toMatch(/--omit[= ]dev/);
    expect(ci).toContain('--ignore-scripts');
    expect(args('ENV').join(' ')).toMatch(/NODE_ENV[= ]production/);
    expect(args('COPY').some((a) => /\bconfig\.yaml\b/.test(a))).toBe(true);
  });

  it('runs as a non-root user', () => {
    const user = args('USER').at(-1);
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('exposes 8000, checks /health with node and starts dist/src/cli.js with the node flags of the bin', () => {
    expect(args('EXPOSE').join(' ').split(/\s+/)).toContain('8000');
    const health = args('HEALTHCHECK').at(-1);
    expect(health).toBeDefined();
    expect(health).toMatch(/\bCMD\b.*\bnode\b/);
    expect(health).toContain('/health');
    expect(health).not.toMatch(/\b(curl|wget)\b/);
    const cmd = JSON.parse(args('CMD').at(-1) ?? 'null') as string[];
    const binFlags = (read('src/cli.ts').split('\n', 1)[0] ?? '')
      .replace(/^#!\/usr\/bin\/env -S node\s*/, '')
      .split(/\s+/)
      .filter(Boolean);
    expect(binFlags).toEqual(['--max-semi-space-size=8']);
    expect(cmd).toEqual(['node', ...binFlags, 'dist/src/cli.js', 'serve', '--config', '/app/config.yaml']);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'));
    for (const name of ['node_modules', 'dist', '.git', '.env']) expect(ignored, `.dockerignore lists ${name}`).toContain(name);
    const sources = stages
      .flat()
      .filter((i) => (i.op === 'COPY' || i.op === 'ADD') && !/--from=/.test(i.args))
      .flatMap((i) => {
        const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
        return words.slice(0, -1);
      });
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      const clean = src.replace(/^\.\//, '').replace(/\/$/, '');
      expect(existsSync(file(clean)), `COPY source ${src} exists`).toBe(true);
      expect(ignored, `COPY source ${src} is not excluded by .dockerignore`).not.toContain(clean);
    }
  });
});

describe('.env.example', () => {
  const documented = documentedVariables(read('.env.example'));

  for (const name of ['config.yaml', 'docker-compose.yml']) {
    it(`lists every variable ${name} references`, () => {
      const missing = referencedVariables(read(name)).filter((v) => !documented.has(v));
      expect(missing, `add to .env.example: ${missing.join(', ')}`).toEqual([]);
    });
  }

  it('the variable scan finds config.yaml’s references', () => {
    expect(referencedVariables(read('config.yaml'))).toEqual(expect.arrayContaining(['PORT', 'REDIS_URL', 'OPENAI_API_KEY']));
  });
});

describe('live /metrics', () => {
  it.skipIf(!hasPromtool)('passes `promtool check metrics`', async () => {
    const up = await FakeUpstream.start('alpha');
    const gw = await startTestGateway(providersYaml([{ name: 'alpha', url: up.url, extra: '    pricing: { m: { input: 1, output: 2 } }\n' }]));
    try {
      const client = gw.client();
      await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
      for await (const _ of stream) void _;
      up.enqueue({ kind: 'status', status: 500 });
      await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).catch(() => undefined);

      const res = await fetch(`${gw.url}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('switchyard_requests_total');
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      // The gateway drops prom-client's misnamed default gauges, so promtool must find nothing at all.
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    } finally {
      await gw.close();
      await up.close();
    }
  });
});
