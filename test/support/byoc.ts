/**
 * Bring-your-own-client tests' setting: a fake OpenAI upstream (`gpt`) and a fake Anthropic one
 * (`claude`), real `openai` and `@anthropic-ai/sdk` clients pointed at them as a user would configure
 * them, and a Switchyard over both clients, closed after each test.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type ClientProvider, type GatewayEventMap, type GatewayEventName, Switchyard } from '../../src/index.js';
import { FakeAnthropic } from './fake-anthropic.js';
import { FakeUpstream } from './fake-upstream.js';

export const messages = [{ role: 'user', content: 'hi' }];
export const OPENAI_KEY = 'sk-user-openai-key-0123456789abcdef';
export const ANTHROPIC_KEY = 'sk-ant-user-key-0123456789abcdef';

export interface ByocOptions {
  /** The openai client's base URL (default: the `gpt` fake). */
  openaiUrl?: string;
  threshold?: number;
  config?: Record<string, unknown>;
  /** The anthropic client's own fetch. */
  claudeFetch?: typeof globalThis.fetch;
}

/** The fakes (started once per file) and ways to build clients and a Switchyard over them. */
export class ByocSetting {
  gpt!: FakeUpstream;
  claude!: FakeAnthropic;
  /** A URL nothing listens on. */
  refusedUrl = '';
  switchyard: Switchyard | undefined;

  openaiClient(baseURL = this.gpt.url, fetch?: typeof globalThis.fetch): OpenAI {
    return new OpenAI({ baseURL, apiKey: OPENAI_KEY, maxRetries: 0, ...(fetch ? { fetch } : {}) });
  }

  anthropicClient(fetch?: typeof globalThis.fetch): Anthropic {
    return new Anthropic({ baseURL: this.claude.url.replace(/\/v1$/, ''), apiKey: ANTHROPIC_KEY, maxRetries: 0, ...(fetch ? { fetch } : {}) });
  }

  /** A Switchyard over exactly these clients (closed after the test). */
  async only(clients: ClientProvider[], config: Record<string, unknown> = { providers: [] }): Promise<Switchyard> {
    this.switchyard = await Switchyard.create({ config, clients });
    return this.switchyard;
  }

  /** `openai` (gpt-4o-mini, first in the chain) and `claude` (default model claude-haiku-4-5), both priced. */
  create(o: ByocOptions = {}): Promise<Switchyard> {
    return this.only(
      [
        { name: 'openai', client: this.openaiClient(o.openaiUrl), models: ['gpt-4o-mini'], pricing: { 'gpt-4o-mini': { input: 1, output: 2 } }, timeout_ms: 5000 },
        { name: 'claude', client: this.anthropicClient(o.claudeFetch), default_model: 'claude-haiku-4-5', pricing: { 'claude-haiku-4-5': { input: 3, output: 4 } } },
      ],
      { routing: { strategy: 'priority' }, providers: [], circuit_breaker: { failure_threshold: o.threshold ?? 1000 }, ...o.config },
    );
  }
}

/** The setting for one `describe`: call at its top, it registers its hooks there. */
export function byocSetting(): ByocSetting {
  const s = new ByocSetting();
  beforeAll(async () => {
    s.gpt = await FakeUpstream.start('gpt');
    s.claude = await FakeAnthropic.start('claude');
    const gone = await FakeUpstream.start('gone');
    s.refusedUrl = gone.url;
    await gone.close();
  });
  afterAll(async () => {
    await s.gpt.close();
    await s.claude.close();
  });
  afterEach(async () => {
    await s.switchyard?.close();
    s.switchyard = undefined;
    s.gpt.reset();
    s.claude.reset();
  });
  return s;
}

/** Records events by name, in order. */
export function recordEvents(switchyard: Switchyard, names: readonly GatewayEventName[]): Array<[GatewayEventName, unknown]> {
  const events: Array<[GatewayEventName, unknown]> = [];
  for (const name of names) switchyard.on(name, (e: GatewayEventMap[typeof name]) => events.push([name, e]));
  return events;
}

/** Iterates a stream to its end: the text it gave, and what it threw. */
export async function drain(stream: AsyncIterable<{ choices: Array<{ delta: { content?: string | null } }> }>): Promise<{ text: string; err: unknown }> {
  let text = '';
  const err = await (async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  })().catch((e: unknown) => e);
  return { text, err };
}

/** Resolves once the signal has fired (a test that waits here forever has failed). */
export function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return Promise.reject(new Error('no signal was passed to fetch'));
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve())));
}
