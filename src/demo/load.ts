/** What the load generator has seen so far. */
export interface LoadTally {
  sent: number;
  answered: number;
  /** Requests the gateway could not serve (every provider failed or was skipped). */
  unserved: number;
  /** Answers by the provider that served them (`x-switchyard-provider`). */
  byProvider: Map<string, number>;
}

const PROMPTS = [
  'Summarise the incident report in two sentences.',
  'Translate "the deployment is healthy" into French, German and Japanese.',
  'Write a haiku about circuit breakers.',
  'List three ways to reduce the cost of an LLM workload, with one line of explanation each, and say which one you would try first and why.',
  'Explain half-open circuit breakers to a new on-call engineer.',
];

/**
 * A small steady load on a gateway: `perSecond` chat requests a second (a quarter of them streamed),
 * prompts of varied length, every answer read to its end. Returns the tally and the function that stops
 * it (resolving when the requests in flight are done).
 *
 * @example
 * const load = startLoad('http://127.0.0.1:8000', 4);
 * await load.stop(); // load.tally.answered
 */
export function startLoad(gatewayUrl: string, perSecond: number, random: () => number = Math.random): { tally: LoadTally; stop: () => Promise<void> } {
  const tally: LoadTally = { sent: 0, answered: 0, unserved: 0, byProvider: new Map() };
  const inFlight = new Set<Promise<void>>();
  const stopping = new AbortController();
  const one = async () => {
    const stream = random() < 0.25;
    const prompt = PROMPTS[Math.floor(random() * PROMPTS.length)]!;
    const body = { model: 'chat', messages: [{ role: 'user', content: prompt }], max_tokens: 200, stream, ...(stream ? { stream_options: { include_usage: true } } : {}) };
    tally.sent += 1;
    try {
      const res = await fetch(`${gatewayUrl}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: stopping.signal });
      await res.arrayBuffer();
      const provider = res.headers.get('x-switchyard-provider');
      if (res.ok && provider) {
        tally.answered += 1;
        tally.byProvider.set(provider, (tally.byProvider.get(provider) ?? 0) + 1);
      } else tally.unserved += 1;
    } catch {
      if (!stopping.signal.aborted) tally.unserved += 1;
    }
  };
  const timer = setInterval(() => {
    const p = one().finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, 1000 / perSecond);
  return {
    tally,
    stop: async () => {
      clearInterval(timer);
      stopping.abort();
      await Promise.all(inFlight);
    },
  };
}
