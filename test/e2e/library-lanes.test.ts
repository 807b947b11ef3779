/** The library's per-call routing options of issue 17: `priority`, `prefer` and `providerKey`. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Switchyard, SwitchyardError } from '../../src/index.js';
import { FakeUpstream } from '../support/fake-upstream.js';

const request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

describe('library: priority, prefer and providerKey', () => {
  let premium: FakeUpstream;
  let own: FakeUpstream;
  let spare: FakeUpstream;
  let switchyard: Switchyard;

  beforeAll(async () => {
    [premium, own, spare] = await Promise.all([FakeUpstream.start('premium'), FakeUpstream.start('own'), FakeUpstream.start('spare')]);
    switchyard = await Switchyard.create({
      config: {
        providers: [
          { name: 'premium', type: 'openai_compatible', base_url: premium.url, api_key: 'sk-premium-0123456789', tier: 'premium' },
          { name: 'own', type: 'openai_compatible', base_url: own.url, client_keys: 'passthrough' },
          { name: 'spare', type: 'openai_compatible', base_url: spare.url, api_key: 'sk-spare-0123456789' },
        ],
        routing: { strategy: 'priority', lanes: { low: { avoid: ['premium'] } } },
      },
    });
  });
  afterAll(async () => {
    await switchyard.close();
    await Promise.all([premium.close(), own.close(), spare.close()]);
  });

  it('priority low avoids the premium tier; high takes it', async () => {
    expect((await switchyard.chat(request, { priority: 'low' })).routing.provider).toBe('spare');
    expect((await switchyard.chat(request, { priority: 'high' })).routing.provider).toBe('premium');
  });

  it('prefer moves a provider to the front without removing the rest', async () => {
    const answer = await switchyard.chat(request, { prefer: ['spare'] });
    expect(answer.routing.provider).toBe('spare');
    expect(answer.routing.attempts).toBe(1);
  });

  it('providerKey reaches the passthrough provider only; without it that provider is skipped', async () => {
    own.reset();
    const answer = await switchyard.chat(request, { provider: 'own', providerKey: { own: 'sk-own-user-0123456789' } });
    expect(answer.routing.provider).toBe('own');
    expect(own.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-own-user-0123456789']);

    const err = await switchyard.chat(request, { provider: 'own', fallback: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect((err as SwitchyardError).code).toBe('caller_key_required');
    expect(own.requests).toHaveLength(1);
  });
});
