import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { Gateway } from '../../src/gateway.js';
import { type RunningGateway, startGateway } from '../../src/server.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { warmUp } from '../../src/warm-up.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml } from '../support/harness.js';

const listeners = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

/** A gateway started as `serve` starts it (warm-up on unless said otherwise), its log lines kept. */
async function start(upstream: FakeUpstream, extra: string, warm = true): Promise<{ running: RunningGateway; logs: string[] }> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(line);
      cb();
    },
  });
  const loaded = parseConfig(`${extra}\n${providersYaml([{ name: 'real', url: upstream.url }])}`, '(inline)', { env: {} });
  const running = await startGateway(loaded, { logger: createLogger('info', sink), host: '127.0.0.1', port: 0, warmUp: warm });
  return { running, logs };
}

describe('warm-up before listening (server.warm_up_requests)', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const o of open.splice(0)) await o.close();
  });

  it('sends its requests, streamed and whole, through a throwaway gateway and leaves nothing listening', async () => {
    const before = listeners();
    const result = await warmUp(40, 'info');
    expect(result).toMatchObject({ requests: 40, failed: 0 });
    expect(result.ms).toBeGreaterThan(0);
    // A closed server's handle goes a tick or two after its 'close' event.
    for (let i = 0; i < 20 && listeners() !== before; i++) await new Promise((r) => setImmediate(r));
    expect(listeners()).toBe(before);
  });

  it('never reaches the configured providers, counts nothing in the metrics and logs one line', async () => {
    const upstream = await FakeUpstream.start('real');
    open.push(upstream);
    const { running, logs } = await start(upstream, 'server: { warm_up_requests: 60 }');
    open.push(running);
    expect(upstream.requests).toHaveLength(0);
    const warmed = logs.filter((l) => l.includes('warmed up'));
    expect(warmed).toHaveLength(1);
    expect(JSON.parse(warmed[0] ?? '{}')).toMatchObject({ level: 30, requests: 60, failed: 0 });
    // Every request ends with a "request" line; none came from the warm-up.
    const requestLines = () => logs.filter((l) => l.includes('"msg":"request"'));
    expect(requestLines()).toEqual([]);
    const metrics = await running.gateway.metrics.registry.metrics();
    expect(metrics).not.toMatch(/^switchyard_http_requests_total\{.*\} [1-9]/m);
    expect(metrics).toMatch(/^switchyard_requests_total\{provider="real",outcome="success"\} 0$/m);
    expect(metrics).not.toMatch(/warm-up/);
    // The serving gateway keeps the process's own metrics; only the throwaway one goes without.
    expect(metrics).toMatch(/^switchyard_process_cpu_seconds_total /m);

    const client = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    expect(upstream.requests).toHaveLength(1);
    expect(requestLines()).toHaveLength(1);
    expect(await running.gateway.metrics.registry.metrics()).toMatch(/^switchyard_requests_total\{provider="real",outcome="success"\} 1$/m);
  });

  it('is off unless configured, and a library start that does not ask for it skips it', async () => {
    const upstream = await FakeUpstream.start('real');
    open.push(upstream);
    const off = await start(upstream, '');
    open.push(off.running);
    const library = await start(upstream, 'server: { warm_up_requests: 50 }', false);
    open.push(library.running);
    for (const { logs } of [off, library]) expect(logs.some((l) => l.includes('warmed up'))).toBe(false);
  });

  it('is 0 requests unless configured, and refuses a count that is not a whole number >= 0', () => {
    expect(parseConfig('', '(inline)', { env: {} }).config.server.warm_up_requests).toBe(0);
    expect(() => parseConfig('server: { warm_up_requests: -1 }', '(inline)', { env: {} })).toThrow(ConfigError);
    expect(() => parseConfig('server: { warm_up_requests: 2.5 }', '(inline)', { env: {} })).toThrow(/warm_up_requests/);
  });

  it('a gateway built without runtime metrics has no process collectors in its registry', async () => {
    const loaded = parseConfig(providersYaml([{ name: 'x', url: 'http://127.0.0.1:9/v1' }]), '(inline)', { env: {} });
    const gateway = await Gateway.create(loaded, { logger: createLogger('silent'), runtimeMetrics: false });
    open.push(gateway);
    const text = await gateway.metrics.registry.metrics();
    expect(text).not.toMatch(/switchyard_process_cpu|switchyard_nodejs_eventloop_lag|switchyard_nodejs_gc/);
    expect(text).toMatch(/^# TYPE switchyard_requests_total counter$/m);
  });
});
