/**
 * switchyard as its users get it: `npm pack` of this repo (the built dist/, as `npm test` leaves it), installed
 * from the tarball into a fresh project, imported as `switchyard` by a plain ESM script run with node.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_FILES } from '../../src/http/dashboard/assets.js';
import { FakeUpstream } from '../support/fake-upstream.js';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');

/** The user's script: chat, stream and events against the providers whose URLs the environment gives. */
const SCRIPT = `
import { Switchyard, SwitchyardError } from 'switchyard';

const provider = (name, url) => ({ name, type: 'openai_compatible', base_url: url, api_key: 'sk-' + name + '-0123456789', pricing: { 'gpt-4o-mini': { input: 1, output: 2 } } });
const switchyard = await Switchyard.create({ config: { providers: [provider('alpha', process.env.ALPHA_URL), provider('beta', process.env.BETA_URL)] } });
const out = (line) => console.log(JSON.stringify(line));
for (const name of ['route', 'failover', 'success']) switchyard.on(name, (e) => out({ event: name, provider: e.provider, from: e.from, to: e.to }));

const messages = [{ role: 'user', content: 'hi' }];
const answer = await switchyard.chat({ model: 'gpt-4o-mini', messages });
out({ chat: answer.choices[0].message.content, provider: answer.routing.provider, attempts: answer.routing.attempts, costUsd: answer.routing.costUsd });

const stream = switchyard.stream({ model: 'gpt-4o-mini', messages }, { provider: 'beta' });
let text = '';
for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
out({ stream: text, provider: (await stream.routing).provider });

const chat = switchyard.conversation({ model: 'gpt-4o-mini', system: 'Be terse.' });
await chat.send('one');
out({ conversation: (await chat.send('two')).content, history: chat.history.length });
out({ isError: new SwitchyardError({ status: 400, message: 'x', type: 'invalid_request_error', code: null }) instanceof Error });
await switchyard.close();
`;

/** The user's script with their own openai client: no config providers, the client as the provider. */
const BYOC_SCRIPT = `
import OpenAI from 'openai';
import { Switchyard } from 'switchyard';

const client = new OpenAI({ baseURL: process.env.ALPHA_URL, apiKey: 'sk-mine-0123456789', maxRetries: 0 });
const switchyard = await Switchyard.create({ config: { providers: [] }, clients: [{ name: 'mine', client, pricing: { 'gpt-4o-mini': { input: 1, output: 2 } } }] });
const answer = await switchyard.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
console.log(JSON.stringify({ chat: answer.choices[0].message.content, provider: answer.routing.provider, costUsd: answer.routing.costUsd }));
await switchyard.close();
`;

describe('the packed package, installed from its tarball', () => {
  let dir: string;
  let alpha: FakeUpstream;
  let beta: FakeUpstream;

  beforeAll(async () => {
    if (!existsSync(join(repo, 'dist/src/index.js'))) await run('npm', ['run', 'build'], { cwd: repo });
    dir = mkdtempSync(join(tmpdir(), 'switchyard-package-'));
    // dist/ is already built (`npm test` builds first): the pack need not run `prepare` again.
    await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: repo });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack left no tarball in ${dir}`);
    const project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-switchyard', private: true, type: 'module' }));
    // Its dependencies come from the npm registry (or the local cache).
    await run('npm', ['install', join(dir, tarball), '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts'], { cwd: project });
    writeFileSync(join(project, 'main.mjs'), SCRIPT);
    alpha = await FakeUpstream.start('alpha');
    beta = await FakeUpstream.start('beta');
  }, 120_000);

  afterAll(async () => {
    await alpha?.close();
    await beta?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('installs the built library, not the sources', () => {
    const installed = join(dir, 'project/node_modules/switchyard');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { exports: Record<string, { import: string; types: string }> };
    expect(existsSync(join(installed, pkg.exports['.']?.import ?? 'missing'))).toBe(true);
    expect(existsSync(join(installed, pkg.exports['.']?.types ?? 'missing'))).toBe(true);
  });

  it("ships the dashboard's static files beside the compiled route (no build step for the user)", () => {
    const folder = join(dir, 'project/node_modules/switchyard/dist/src/http/dashboard/static');
    for (const file of DASHBOARD_FILES) expect(readFileSync(join(folder, file), 'utf8')).toBe(readFileSync(join(repo, 'src/http/dashboard/static', file), 'utf8'));
  });

  it("imports 'switchyard' and uses chat, stream, conversation and events", async () => {
    alpha.enqueue({ kind: 'status', status: 500 });
    const { stdout } = await run(process.execPath, ['main.mjs'], { cwd: join(dir, 'project'), env: { ...process.env, ALPHA_URL: alpha.url, BETA_URL: beta.url }, timeout: 15_000 });
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.slice(0, 4)).toEqual([
      { event: 'route', provider: 'alpha' },
      { event: 'failover', from: 'alpha', to: 'beta' },
      { event: 'success', provider: 'beta' },
      { chat: 'Hello from beta', provider: 'beta', attempts: 2, costUsd: 0.000022 },
    ]);
    expect(lines).toContainEqual({ stream: 'Hello from beta', provider: 'beta' });
    expect(lines).toContainEqual({ conversation: 'Hello from alpha', history: 5 });
    expect(lines.at(-1)).toEqual({ isError: true });
    expect(beta.requests[0]?.headers.authorization).toBe('Bearer sk-beta-0123456789');
    // Neither SDK is installed with it: the library runs without them.
    expect(existsSync(join(dir, 'project/node_modules/openai'))).toBe(false);
    expect(existsSync(join(dir, 'project/node_modules/@anthropic-ai/sdk'))).toBe(false);
  });

  it('routes to the user’s own openai client, once they have installed the SDK', async () => {
    const project = join(dir, 'project');
    symlinkSync(join(repo, 'node_modules/openai'), join(project, 'node_modules/openai'), 'dir');
    writeFileSync(join(project, 'byoc.mjs'), BYOC_SCRIPT);
    alpha.reset();
    const { stdout } = await run(process.execPath, ['byoc.mjs'], { cwd: project, env: { ...process.env, ALPHA_URL: alpha.url }, timeout: 15_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ chat: 'Hello from alpha', provider: 'mine', costUsd: 0.000022 });
    expect(alpha.requests[0]?.headers.authorization).toBe('Bearer sk-mine-0123456789');
  });
});
