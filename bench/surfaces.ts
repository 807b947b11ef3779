/**
 * The API surfaces side by side: the gateway's CPU per request for chat completions and for each other
 * front door, passed through (the provider speaks the caller's protocol) and translated (through chat
 * completions), over the same fakes, sequentially, read off /proc. The issue's target: each within 1.5x
 * the CPU of chat completions for passed-through bytes.
 */
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'undici';
import { cpuTicks, freePort, spawnNode, ticksToMicros, waitHealthy } from './proc.js';

interface Surface {
  name: string;
  path: string;
  body: string;
  headers?: Record<string, string>;
  /** The gateway config the surface is measured on: `native` providers speak it, `translated` ones do not. */
  gateway: 'native' | 'translated';
}

const chat = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
const SURFACES: Surface[] = [
  { name: 'chat completions', path: '/v1/chat/completions', body: chat, gateway: 'native' },
  { name: 'embeddings', path: '/v1/embeddings', body: JSON.stringify({ model: 'text-embedding-3-small', input: 'hi' }), gateway: 'native' },
  { name: 'responses, passed through', path: '/v1/responses', body: JSON.stringify({ model: 'gpt-4o-mini', input: 'hi', store: false }), gateway: 'native' },
  {
    name: 'messages, passed through',
    path: '/v1/messages',
    body: JSON.stringify({ model: 'claude-x', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
    headers: { 'anthropic-version': '2023-06-01' },
    gateway: 'native',
  },
  { name: 'responses, translated', path: '/v1/responses', body: JSON.stringify({ model: 'gpt-4o-mini', input: 'hi', store: false }), gateway: 'translated' },
  {
    name: 'messages, translated',
    path: '/v1/messages',
    body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
    headers: { 'anthropic-version': '2023-06-01' },
    gateway: 'translated',
  },
];

/** Measuring rounds per gateway, each sending every surface in turn. */
const ROUNDS = 6;

export interface SurfaceRow {
  name: string;
  cpuUsPerRequest: number;
  /** Relative to chat completions. */
  ratio: number;
  failed: number;
}

function config(kind: 'native' | 'translated', openaiPort: number, anthropicPort: number): string {
  const providers =
    kind === 'native'
      ? [
          `  - { name: openai, type: openai, base_url: "http://127.0.0.1:${openaiPort}/v1", api_key: sk-bench, models: [gpt-4o-mini, text-embedding-3-small] }`,
          `  - { name: claude, type: anthropic, base_url: "http://127.0.0.1:${anthropicPort}/v1", api_key: sk-bench, models: ["claude-*"] }`,
        ]
      : [`  - { name: compat, type: openai_compatible, base_url: "http://127.0.0.1:${openaiPort}/v1", api_key: sk-bench }`];
  return ['server: { host: 127.0.0.1 }', 'providers:', ...providers, 'logging: { level: info }', ''].join('\n');
}

/**
 * Measures every surface: `count` sequential requests each (after a warm-up), the gateway's CPU per request.
 *
 * @example
 * const rows = await surfacesCost({ cli, upstreamEntry, tempDir, count: 2000 });
 */
export async function surfacesCost(o: { cli: string; upstreamEntry: string; tempDir: string; count: number }): Promise<SurfaceRow[]> {
  const upstream = fork(o.upstreamEntry, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
  try {
    const ports = await new Promise<{ port: number; anthropicPort: number }>((resolve, reject) => {
      upstream.once('exit', () => reject(new Error('surfaces upstream exited early')));
      upstream.on('message', (m) => resolve(m as { port: number; anthropicPort: number }));
    });
    const measured = new Map<string, { cpu: number; failed: number }>();
    for (const kind of ['native', 'translated'] as const) {
      const file = join(o.tempDir, `surfaces-${kind}.yaml`);
      writeFileSync(file, config(kind, ports.port, ports.anthropicPort));
      const port = await freePort();
      const child = spawnNode(o.cli, ['serve', '--config', file, '--port', String(port)]);
      const origin = `http://127.0.0.1:${port}`;
      await waitHealthy(origin, child);
      const client = new Client(origin);
      try {
        const send = async (s: Surface) => {
          const res = await client.request({ path: s.path, method: 'POST', headers: { 'content-type': 'application/json', ...s.headers }, body: s.body });
          await res.body.text();
          return res.statusCode === 200;
        };
        const surfaces = SURFACES.filter((x) => x.gateway === kind);
        // Every surface warmed (JIT) before any is measured, so that the first measured pays no more.
        for (const s of surfaces) for (let i = 0; i < Math.min(1000, o.count); i++) await send(s);
        // Interleaved rounds, so that no surface alone pays for the garbage collector's debts or a busy moment.
        const totals = new Map<string, { ticks: number; failed: number }>(surfaces.map((s) => [s.name, { ticks: 0, failed: 0 }]));
        const perRound = Math.ceil(o.count / ROUNDS);
        for (let round = 0; round < ROUNDS; round++) {
          for (const s of round % 2 ? [...surfaces].reverse() : surfaces) {
            const t = totals.get(s.name)!;
            const t0 = cpuTicks(child.pid!);
            for (let i = 0; i < perRound; i++) if (!(await send(s))) t.failed += 1;
            t.ticks += cpuTicks(child.pid!) - t0;
          }
        }
        for (const s of surfaces) {
          const t = totals.get(s.name)!;
          measured.set(s.name, { cpu: ticksToMicros(t.ticks) / (perRound * ROUNDS), failed: t.failed });
        }
      } finally {
        await client.close();
        child.kill('SIGTERM');
      }
    }
    const base = measured.get('chat completions')?.cpu ?? Number.NaN;
    return SURFACES.map((s) => {
      const m = measured.get(s.name)!;
      return { name: s.name, cpuUsPerRequest: m.cpu, ratio: m.cpu / base, failed: m.failed };
    });
  } finally {
    upstream.kill('SIGTERM');
  }
}

/** The phase's table. */
export function surfacesTable(rows: SurfaceRow[]): string {
  const lines = ['surface (sequential, gateway CPU)     us/request   vs chat'];
  for (const r of rows) lines.push(`  ${r.name.padEnd(34)} ${r.cpuUsPerRequest.toFixed(0).padStart(8)}     ${r.ratio.toFixed(2)}x${r.failed ? `  (${r.failed} failed)` : ''}`);
  return lines.join('\n');
}
