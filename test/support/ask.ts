/** One chat request through the openai SDK, and what came back: who served, or the error. */
import OpenAI from 'openai';
import type { TestGateway } from './harness.js';

export const question = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

export interface Answered {
  provider: string | null;
  attempts: string | null;
  text: string | null | undefined;
}

/** Sends `question` with these headers (and SDK key); resolves with who served. */
export async function ask(gw: TestGateway, headers: Record<string, string> = {}, apiKey?: string): Promise<Answered> {
  const { data, response } = await gw
    .client(apiKey ? { apiKey } : {})
    .chat.completions.create(question, { headers })
    .withResponse();
  return { provider: response.headers.get('x-switchyard-provider'), attempts: response.headers.get('x-switchyard-attempts'), text: data.choices[0]?.message.content };
}

/** Sends `question` expecting the SDK to throw an API error; resolves with it. */
export async function askFailing(gw: TestGateway, headers: Record<string, string> = {}, apiKey?: string): Promise<InstanceType<typeof OpenAI.APIError>> {
  const outcome = await gw
    .client(apiKey ? { apiKey } : {})
    .chat.completions.create(question, { headers })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  if (!(outcome instanceof OpenAI.APIError)) throw new Error(`expected an API error, got ${String(outcome)}`);
  return outcome;
}

/** The value of one Prometheus sample line (`name{labels} value`), or undefined when absent. */
export async function metricValue(gw: TestGateway, sample: string): Promise<number | undefined> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}
