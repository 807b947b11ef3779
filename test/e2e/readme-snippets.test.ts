/**
 * The README's "Use it as a library" example runs as written: its ```ts blocks between the
 * `library-example` markers, in order, as one ESM script that imports 'switchyard' (this repo's built
 * package, through its `exports`) and loads `./config.yaml` (here: one provider, the fake upstream).
 * What it prints must be the README's `library-example-output` block.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../support/fake-anthropic.js';
import { FakeUpstream } from '../support/fake-upstream.js';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

/** The text between `<!-- name -->` and `<!-- /name -->`. */
function section(name: string): string {
  const start = readme.indexOf(`<!-- ${name} -->`);
  const end = readme.indexOf(`<!-- /${name} -->`);
  if (start < 0 || end < start) throw new Error(`README.md has no <!-- ${name} --> ... <!-- /${name} --> section`);
  return readme.slice(start, end);
}

/** The bodies of the fenced code blocks of one language in a piece of markdown. */
function blocks(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1] ?? '');
}

describe('README: Use it as a library', () => {
  let dir: string;
  let openai: FakeUpstream;

  beforeAll(async () => {
    if (!existsSync(join(repo, 'dist/src/index.js'))) await run('npm', ['run', 'build'], { cwd: repo });
    openai = await FakeUpstream.start('openai');
    dir = mkdtempSync(join(tmpdir(), 'switchyard-readme-'));
    mkdirSync(join(dir, 'node_modules'));
    // 'switchyard' resolves to this repo through its package.json `exports` (dist/src/index.js).
    symlinkSync(repo, join(dir, 'node_modules/switchyard'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-example', private: true, type: 'module' }));
    const config = [
      'providers:',
      '  - name: openai',
      '    type: openai_compatible',
      `    base_url: ${openai.url}`,
      '    api_key: sk-openai-secret-0123456789',
      '    pricing:',
      '      gpt-4o-mini: { input: 1, output: 2 }',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'config.yaml'), config);
  }, 120_000);

  afterAll(async () => {
    await openai?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has the example and its output between markers', () => {
    expect(blocks(section('library-example'), 'ts').length).toBeGreaterThanOrEqual(2);
    expect(blocks(section('library-example-output'), 'text')).toHaveLength(1);
    expect(section('library-example')).toContain('switchyard.conversation(');
  });

  it('runs without error and prints what the README says it prints', async () => {
    const script = blocks(section('library-example'), 'ts').join('\n');
    writeFileSync(join(dir, 'example.mjs'), script);
    const { stdout, stderr } = await run(process.execPath, ['example.mjs'], { cwd: dir, timeout: 15_000 });
    expect(stderr).toBe('');
    expect(stdout).toBe(blocks(section('library-example-output'), 'text')[0]);
    // Every call sent what the README says: the conversation's second turn carries the whole history.
    const last = openai.requests.at(-1)?.body as { messages: Array<{ role: string }>; temperature?: number };
    expect(last.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(last.temperature).toBe(0);
  });
});

describe('README: Bring your own client', () => {
  let dir: string;
  let openai: FakeUpstream;
  let claude: FakeAnthropic;

  beforeAll(async () => {
    if (!existsSync(join(repo, 'dist/src/index.js'))) await run('npm', ['run', 'build'], { cwd: repo });
    openai = await FakeUpstream.start('openai');
    claude = await FakeAnthropic.start('claude');
    dir = mkdtempSync(join(tmpdir(), 'switchyard-readme-byoc-'));
    mkdirSync(join(dir, 'node_modules/@anthropic-ai'), { recursive: true });
    // 'switchyard' is this repo (its `exports`); the SDKs are the ones it tests with.
    symlinkSync(repo, join(dir, 'node_modules/switchyard'), 'dir');
    symlinkSync(join(repo, 'node_modules/openai'), join(dir, 'node_modules/openai'), 'dir');
    symlinkSync(join(repo, 'node_modules/@anthropic-ai/sdk'), join(dir, 'node_modules/@anthropic-ai/sdk'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-byoc', private: true, type: 'module' }));
  }, 120_000);

  afterAll(async () => {
    await openai?.close();
    await claude?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs and prints what the README says, through the clients the SDKs configured from the environment', async () => {
    const script = blocks(section('library-byoc-example'), 'ts');
    expect(script).toHaveLength(1);
    writeFileSync(join(dir, 'byoc.mjs'), script[0] ?? '');
    openai.enqueue({ kind: 'status', status: 503 });
    const env = {
      ...process.env,
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: 'sk-readme-openai-0123456789',
      ANTHROPIC_BASE_URL: claude.url.replace(/\/v1$/, ''),
      ANTHROPIC_API_KEY: 'sk-ant-readme-0123456789',
    };
    const { stdout, stderr } = await run(process.execPath, ['byoc.mjs'], { cwd: dir, env, timeout: 15_000 });
    expect(stderr).toBe('');
    expect(stdout).toBe(blocks(section('library-byoc-example-output'), 'text')[0]);
    expect(claude.requests[0]?.headers['x-api-key']).toBe('sk-ant-readme-0123456789');
    expect(openai.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-readme-openai-0123456789', 'Bearer sk-readme-openai-0123456789']);
  });
});
