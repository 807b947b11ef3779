/**
 * `POST /v1/embeddings` through the translating adapters, driven with the official SDK: Gemini's
 * `batchEmbedContents` and Ollama's `/api/embed` behind the gateway (string and list input, float and
 * base64, dimensions, usage), failover from a failing Gemini to Ollama, token ids refused with a 400
 * naming `input`, and an anthropic provider (no embeddings) never offered the call.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../support/fake-anthropic.js';
import { FakeGemini, fakeGeminiVector, GEMINI_EMBED_DIMENSIONS } from '../support/fake-gemini.js';
import { FakeOllama, fakeOllamaTokens, fakeOllamaVector, OLLAMA_EMBED_DIMENSIONS } from '../support/fake-ollama.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

const GEM_KEY = 'gm-secret-key-0123456789abcdef';
const MODEL = 'gemini-embedding-001';

type ApiError = InstanceType<typeof OpenAI.APIError>;

interface ProviderStats {
  tokens: { prompt: number; completion: number };
}

async function statsOf(gw: TestGateway, name: string): Promise<ProviderStats | undefined> {
  const stats = (await (await fetch(`${gw.url}/stats`)).json()) as { providers: Record<string, ProviderStats> };
  return stats.providers[name];
}

describe('embeddings through translating adapters', () => {
  let gem: FakeGemini;
  let local: FakeOllama;
  let claude: FakeAnthropic;
  /** gem, then local: Gemini serves, Ollama takes over when it fails. */
  let gw: TestGateway;
  /** claude (anthropic: cannot embed), then local. */
  let mixed: TestGateway;

  beforeAll(async () => {
    gem = await FakeGemini.start('gem', { expectKey: GEM_KEY });
    local = await FakeOllama.start('local');
    claude = await FakeAnthropic.start('claude');
    const ollama = `  - name: local\n    type: ollama\n    base_url: ${local.url}\n`;
    const tail = 'circuit_breaker: { failure_threshold: 1000 }\nrouting: { max_retry_after_ms: 0 }\n';
    gw = await startTestGateway(`providers:\n  - name: gem\n    type: gemini\n    base_url: ${gem.url}\n    api_key: ${GEM_KEY}\n${ollama}${tail}`);
    mixed = await startTestGateway(`providers:\n  - name: claude\n    type: anthropic\n    base_url: ${claude.url}\n    api_key: sk-ant-0123456789abcdef\n${ollama}${tail}`);
  });
  afterAll(async () => {
    await gw.close();
    await mixed.close();
    await gem.close();
    await local.close();
    await claude.close();
  });
  beforeEach(() => {
    gem.reset();
    local.reset();
    claude.reset();
  });

  describe('gemini', () => {
    it('embeds a string (base64, the SDK default, decoded by the SDK), with the key in a header and estimated usage', async () => {
      const { data, response } = await gw.client().embeddings.create({ model: MODEL, input: 'hello world' }).withResponse();
      expect(data.object).toBe('list');
      expect(data.model).toBe(MODEL);
      expect(data.data).toEqual([{ object: 'embedding', index: 0, embedding: fakeGeminiVector(0, 'hello world') }]);
      // batchEmbedContents reports no tokens: 11 characters / 4, rounded up.
      expect(data.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
      expect(response.headers.get('x-switchyard-provider')).toBe('gem');
      const got = gem.requests[0]!;
      expect(got.path).toBe(`/v1beta/models/${MODEL}:batchEmbedContents`);
      expect(got.path).not.toContain(GEM_KEY);
      expect(got.headers['x-goog-api-key']).toBe(GEM_KEY);
      expect(got.body).toEqual({ requests: [{ model: `models/${MODEL}`, content: { parts: [{ text: 'hello world' }] } }] });
      expect(local.requests).toHaveLength(0);
    });

    it('embeds a list as floats, in order, with dimensions', async () => {
      const texts = ['a', 'bb', 'ccc'];
      const data = await gw.client().embeddings.create({ model: MODEL, input: texts, encoding_format: 'float', dimensions: 3 });
      expect(data.data.map((d) => [d.index, d.embedding])).toEqual(texts.map((t, i) => [i, fakeGeminiVector(i, t, 3)]));
      expect(data.usage.prompt_tokens).toBe(2);
      expect(gem.requests[0]!.body).toEqual({ requests: texts.map((text) => ({ model: `models/${MODEL}`, content: { parts: [{ text }] }, outputDimensionality: 3 })) });
    });

    it('answers base64 as little-endian float32 when the client asks for it', async () => {
      const data = await gw.client().embeddings.create({ model: MODEL, input: ['xy'], encoding_format: 'base64' });
      const b64 = data.data[0]!.embedding as unknown as string;
      expect(typeof b64).toBe('string');
      const bytes = Buffer.from(b64, 'base64');
      expect(bytes.length).toBe(GEMINI_EMBED_DIMENSIONS * 4);
      expect(Array.from({ length: GEMINI_EMBED_DIMENSIONS }, (_, i) => bytes.readFloatLE(i * 4))).toEqual(fakeGeminiVector(0, 'xy'));
    });

    it('has a fake that checks the batch as Google does (each request names the URL’s model)', async () => {
      const post = (body: unknown) =>
        fetch(`${gem.url}/models/${MODEL}:batchEmbedContents`, { method: 'POST', headers: { 'x-goog-api-key': GEM_KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const wrongModel = await post({ requests: [{ model: 'models/other', content: { parts: [{ text: 'a' }] } }] });
      expect(wrongModel.status).toBe(400);
      expect(((await wrongModel.json()) as { error: { status: string } }).error.status).toBe('INVALID_ARGUMENT');
      expect((await post({ requests: [] })).status).toBe(400);
      expect((await post({ requests: [{ model: `models/${MODEL}`, content: { parts: [{ text: 'a' }] } }] })).status).toBe(200);
    });

    it('counts the estimated tokens in /stats', async () => {
      const before = (await statsOf(gw, 'gem'))?.tokens.prompt ?? 0;
      await gw.client().embeddings.create({ model: MODEL, input: 'x'.repeat(40), encoding_format: 'float' });
      expect((await statsOf(gw, 'gem'))?.tokens.prompt).toBe(before + 10);
    });
  });

  describe('ollama', () => {
    it('embeds a string and a list, float and base64, with dimensions and prompt_eval_count as usage', async () => {
      const one = await mixed.client().embeddings.create({ model: 'nomic-embed-text', input: 'one two three' });
      expect(one.data).toEqual([{ object: 'embedding', index: 0, embedding: fakeOllamaVector(0) }]);
      expect(one.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
      expect(one.model).toBe('nomic-embed-text');
      const texts = ['alpha beta', 'gamma'];
      const many = await mixed.client().embeddings.create({ model: 'nomic-embed-text', input: texts, encoding_format: 'float', dimensions: 2 });
      expect(many.data.map((d) => d.embedding)).toEqual([fakeOllamaVector(0, 2), fakeOllamaVector(1, 2)]);
      expect(many.usage.prompt_tokens).toBe(fakeOllamaTokens(texts));
      expect(local.requests.map((r) => [r.path, r.body])).toEqual([
        ['/api/embed', { model: 'nomic-embed-text', input: 'one two three' }],
        ['/api/embed', { model: 'nomic-embed-text', input: texts, dimensions: 2 }],
      ]);
      expect(OLLAMA_EMBED_DIMENSIONS).toBe(one.data[0]!.embedding.length);
    });

    it('skips a provider that cannot embed (anthropic), and counts the tokens', async () => {
      const before = (await statsOf(mixed, 'local'))?.tokens.prompt ?? 0;
      const { response } = await mixed.client().embeddings.create({ model: 'nomic-embed-text', input: 'a b c d', encoding_format: 'float' }).withResponse();
      expect(response.headers.get('x-switchyard-provider')).toBe('local');
      expect(response.headers.get('x-switchyard-attempts')).toBe('1');
      expect(claude.requests).toHaveLength(0);
      expect((await statsOf(mixed, 'local'))?.tokens.prompt).toBe(before + 4);
    });

    it('keeps chat on the anthropic provider', async () => {
      const { response } = await mixed
        .client()
        .chat.completions.create({ model: 'any', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      expect(response.headers.get('x-switchyard-provider')).toBe('claude');
    });
  });

  describe('failover and refusals', () => {
    it('fails over from a failing gemini to ollama', async () => {
      gem.enqueue({ kind: 'status', status: 503 });
      const { data, response } = await gw
        .client()
        .embeddings.create({ model: MODEL, input: ['a', 'b'], encoding_format: 'float' })
        .withResponse();
      expect(response.headers.get('x-switchyard-provider')).toBe('local');
      expect(response.headers.get('x-switchyard-attempts')).toBe('2');
      expect(data.data.map((d) => d.embedding)).toEqual([fakeOllamaVector(0), fakeOllamaVector(1)]);
      expect(gem.requests).toHaveLength(1);
      expect(local.requests[0]!.body).toEqual({ model: MODEL, input: ['a', 'b'] });
    });

    it('fails over when gemini answers without one vector per input, or drops the connection', async () => {
      gem.enqueue({ kind: 'embeddings', vectors: [[0.5]] }, { kind: 'reset' });
      for (let i = 0; i < 2; i++) {
        const { response } = await gw
          .client()
          .embeddings.create({ model: MODEL, input: ['a', 'b'], encoding_format: 'float' })
          .withResponse();
        expect(response.headers.get('x-switchyard-provider')).toBe('local');
      }
      expect(gem.requests).toHaveLength(2);
    });

    it('passes a 429 from the last provider to the client as the OpenAI envelope', async () => {
      gem.enqueue({ kind: 'status', status: 429 });
      local.enqueue({ kind: 'status', status: 429, error: 'too many requests' });
      const err = (await gw
        .client()
        .embeddings.create({ model: MODEL, input: 'x', encoding_format: 'float' })
        .catch((e: unknown) => e)) as ApiError;
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.status).toBe(429);
    });

    it('refuses token ids with a 400 naming input, sending nothing upstream', async () => {
      for (const input of [
        [1, 2, 3],
        [[1, 2], [3]],
      ]) {
        const err = (await gw
          .client()
          .embeddings.create({ model: MODEL, input, encoding_format: 'float' })
          .catch((e: unknown) => e)) as ApiError;
        expect(err).toBeInstanceOf(OpenAI.BadRequestError);
        expect(err.param).toBe('input');
        expect(err.code).toBe('unsupported_input');
        expect(err.message).toMatch(/Gemini embeds text only/);
      }
      expect(gem.requests).toHaveLength(0);
      expect(local.requests).toHaveLength(0);
    });

    it('refuses more texts than one Gemini batch holds, naming input', async () => {
      const err = (await gw
        .client()
        .embeddings.create({ model: MODEL, input: Array.from({ length: 101 }, (_, i) => `t${i}`), encoding_format: 'float' })
        .catch((e: unknown) => e)) as ApiError;
      expect(err.status).toBe(400);
      expect(err.param).toBe('input');
      expect(gem.requests).toHaveLength(0);
    });
  });
});
