import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

const hi = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('several keys per provider', () => {
  let up: FakeUpstream;
  let gw: TestGateway;
  const keysSeen = () => up.requests.map((r) => r.headers.authorization);

  beforeAll(async () => {
    up = await FakeUpstream.start('alpha');
    gw = await startTestGateway(`providers:\n  - name: alpha\n    type: openai_compatible\n    base_url: ${up.url}\n    api_keys: [sk-key-one-1111, sk-key-two-2222, sk-key-three-3333]\n`);
  });
  afterAll(async () => {
    await gw.close();
    await up.close();
  });
  beforeEach(() => up.reset());

  it('rotates keys round-robin', async () => {
    for (let i = 0; i < 3; i++) await gw.client().chat.completions.create(hi);
    expect(new Set(keysSeen())).toEqual(new Set(['Bearer sk-key-one-1111', 'Bearer sk-key-two-2222', 'Bearer sk-key-three-3333']));
  });

  it('moves to the next key at once when one is refused, and rests the refused one', async () => {
    up.enqueue({ kind: 'status', status: 401, body: JSON.stringify({ error: { message: 'Incorrect API key provided' } }) });
    const { response } = await gw.client().chat.completions.create(hi).withResponse();
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    const [refused, used] = keysSeen();
    expect(used).not.toBe(refused);
    up.reset();
    for (let i = 0; i < 6; i++) await gw.client().chat.completions.create(hi);
    expect(keysSeen()).not.toContain(refused);
    const health = (await (await fetch(`${gw.url}/admin/health`)).json()) as { providers: { alpha: { circuit: string; keys_available: number } } };
    expect(health.providers.alpha).toEqual({ circuit: 'closed', keys_available: 2 });
  });

  it('never shows a key in errors, logs or metrics', async () => {
    up.setDefault({ kind: 'status', status: 401, body: JSON.stringify({ error: { message: 'bad key sk-key-two-2222 and sk-key-three-3333' } }) });
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hi) });
    expect(res.status).toBe(502);
    const text = await res.text();
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    for (const k of ['sk-key-one-1111', 'sk-key-two-2222', 'sk-key-three-3333']) {
      expect(text).not.toContain(k);
      expect(metrics).not.toContain(k);
      expect(gw.logs.join('\n')).not.toContain(k);
    }
    expect(text).toContain('[redacted]');
  });
});
