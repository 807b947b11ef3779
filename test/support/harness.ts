/** Starts a gateway in process against fake upstreams, with logs captured for inspection. */
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { parseConfig } from '../../src/config/load.js';
import { type RunningGateway, startGateway } from '../../src/server.js';
import { createLogger } from '../../src/telemetry/logger.js';

export interface TestGateway extends RunningGateway {
  logs: string[];
  client(options?: { apiKey?: string; maxRetries?: number }): OpenAI;
}

export interface TestGatewayOptions {
  clock?: () => number;
  /** The strategies' source of chance (default Math.random). */
  random?: () => number;
}

export async function startTestGateway(yaml: string, env: NodeJS.ProcessEnv = {}, clockOrOptions?: (() => number) | TestGatewayOptions): Promise<TestGateway> {
  const o: TestGatewayOptions = typeof clockOrOptions === 'function' ? { clock: clockOrOptions } : (clockOrOptions ?? {});
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(line);
      cb();
    },
  });
  const loaded = parseConfig(yaml, '(inline)', { env });
  const running = await startGateway(loaded, { logger: createLogger('info', sink), host: '127.0.0.1', port: 0, ...(o.clock ? { clock: o.clock } : {}), ...(o.random ? { random: o.random } : {}) });
  return Object.assign(running, {
    logs,
    client: (o: { apiKey?: string; maxRetries?: number } = {}) => new OpenAI({ baseURL: `${running.url}/v1`, apiKey: o.apiKey ?? 'client-key', maxRetries: o.maxRetries ?? 0 }),
  });
}

/** YAML for providers pointing at fake upstreams, in chain order. */
export function providersYaml(ups: Array<{ name: string; url: string; extra?: string }>, key = (n: string) => `sk-${n}-secret-0123456789`): string {
  return 'providers:\n' + ups.map((u) => `  - name: ${u.name}\n    type: openai_compatible\n    base_url: ${u.url}\n    api_key: ${key(u.name)}\n${u.extra ?? ''}`).join('');
}
