import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { type RunningGateway, startGateway } from '../../src/server.js';
import { createLogger } from '../../src/telemetry/logger.js';

// The CLI runs from the build (`npm test` builds first), exactly as `npx switchyard` would.
const CLI = join(process.cwd(), 'dist/src/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'switchyard-check-config-'));

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH }, timeout: 15_000 });

/** Configs that pass the schema but that serve cannot run, with the line that must name the problem. */
const refused: Array<{ name: string; yaml: string; path: string; line: RegExp }> = [
  {
    name: 'unknown default strategy',
    yaml: 'routing: { strategy: fastest }\n',
    path: 'routing.strategy',
    line: /^ {2}- routing\.strategy: unknown strategy "fastest" \(built-in: priority, cost, .*; or a path to a \.js\/\.mjs file\)$/m,
  },
  {
    name: 'unknown route strategy',
    yaml: 'routing:\n  routes:\n    gpt-4o: { strategy: clairvoyant }\n',
    path: 'routing.routes.gpt-4o.strategy',
    line: /^ {2}- routing\.routes\.gpt-4o\.strategy: unknown strategy "clairvoyant"/m,
  },
  {
    name: 'missing strategy file',
    yaml: 'routing: { strategy: ./no-such-strategy.mjs }\n',
    path: 'routing.strategy',
    line: new RegExp(`^ {2}- routing\\.strategy: strategy file not found: ${dir}/no-such-strategy\\.mjs$`, 'm'),
  },
  {
    name: 'redis url with a port that is not a number',
    yaml: 'redis: { url: "redis://host:notaport" }\n',
    path: 'redis.url',
    line: /^ {2}- redis\.url: port "notaport" is not a number$/m,
  },
];

describe('check-config and serve refuse the same configs, in the same words', () => {
  for (const [i, c] of refused.entries()) {
    it(`${c.name} (${c.path})`, () => {
      const file = writeConfig(`refused-${i}.yaml`, c.yaml);
      const checked = run(['check-config', file]);
      expect(checked.status).toBe(1);
      expect(checked.stderr).toMatch(c.line);
      expect(checked.stdout).not.toContain('OK');

      const served = run(['serve', '--config', file, '--port', '0']);
      expect(served.status).toBe(1);
      expect(served.stderr).toMatch(c.line);
      // Readable lines, not a JSON log line with a stack: exactly what check-config printed.
      expect(served.stderr).toBe(checked.stderr);
      expect(served.stdout).toBe('');
    });
  }
});

describe('hot reload refuses them too, naming the key path', () => {
  let running: RunningGateway;
  const file = join(dir, 'reloaded.yaml');
  const valid = 'providers:\n  - name: a\n    type: openai_compatible\n    base_url: http://127.0.0.1:1/v1\n';

  beforeAll(async () => {
    writeFileSync(file, valid);
    writeFileSync(join(dir, 'exports-nothing.mjs'), 'export const nothing = 1;\n');
    const sink = new Writable({ write: (_c: Buffer, _e, cb) => cb() });
    // No file watching: each reload below reads exactly the text just written.
    running = await startGateway(loadConfigFile(file), { logger: createLogger('info', sink), host: '127.0.0.1', port: 0, watch: false });
  });
  afterAll(async () => {
    await running.close();
  });

  const cases = [
    ...refused.map((c) => ({ yaml: c.yaml, path: c.path })),
    // Exists, but only importing it shows it exports no function.
    { yaml: 'routing:\n  routes:\n    m: { strategy: ./exports-nothing.mjs }\n', path: 'routing.routes.m.strategy' },
  ];
  for (const [i, c] of cases.entries()) {
    it(`refuses ${c.path} (case ${i + 1}) and keeps the old config`, async () => {
      const before = running.gateway;
      writeFileSync(file, valid + c.yaml);
      const result = await running.reload();
      expect(result.ok).toBe(false);
      expect(result.ok ? '' : result.error).toContain(`${c.path}: `);
      expect(running.gateway).toBe(before);
    });
  }
});
