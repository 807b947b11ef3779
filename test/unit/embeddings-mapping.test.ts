/**
 * Embeddings through the translating adapters, without I/O: the shared pieces (input as texts,
 * dimensions, float32 base64, OpenAI's list), Gemini's `batchEmbedContents` and Ollama's `/api/embed`
 * both ways, and which adapters offer the endpoint.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../src/config/schema.js';
import { AnthropicAdapter } from '../../src/providers/anthropic/index.js';
import { estimatedTokens, fromGeminiEmbeddings, GEMINI_MAX_BATCH, toGeminiEmbedRequest } from '../../src/providers/gemini/embeddings.js';
import { GeminiAdapter } from '../../src/providers/gemini/index.js';
import { geminiProtocol } from '../../src/providers/gemini/protocol.js';
import type { GeminiEmbedRequest } from '../../src/providers/gemini/wire.js';
import { UpstreamAgentPool } from '../../src/providers/http-client.js';
import { fromOllamaEmbeddings, toOllamaEmbedRequest } from '../../src/providers/ollama/embeddings.js';
import { OllamaAdapter } from '../../src/providers/ollama/index.js';
import { ollamaProtocol } from '../../src/providers/ollama/protocol.js';
import { type EmbeddingsAnswer, encodingFormat, float32Base64, numberVector, requestedDimensions, textInput, toOpenAIEmbeddingList } from '../../src/providers/translating/embeddings.js';
import { isMappedError } from '../../src/providers/translating/error-mapping.js';
import { RequestMappingError } from '../../src/providers/translating/request-mapping.js';

function mappingError(fn: () => unknown): RequestMappingError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RequestMappingError) return err;
    throw err;
  }
  throw new Error('expected a RequestMappingError');
}

/** Decodes as the openai SDK does (`toFloat32Array`). */
const decode = (b64: string): number[] => {
  const buf = Buffer.from(b64, 'base64');
  return Array.from(new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)));
};

function ok(answer: EmbeddingsAnswer) {
  if (isMappedError(answer)) throw new Error(`expected vectors, got ${answer.status} ${answer.body.error.message}`);
  return answer.body;
}

describe('shared embeddings pieces', () => {
  it('reads input as texts, keeping whether it was one string', () => {
    expect(textInput('hello', 'X')).toEqual({ texts: ['hello'], single: true });
    expect(textInput(['a', 'b'], 'X')).toEqual({ texts: ['a', 'b'], single: false });
    expect(textInput(['only'], 'X')).toEqual({ texts: ['only'], single: false });
    expect(textInput('', 'X')).toEqual({ texts: [''], single: true });
  });

  it('refuses token ids, naming input and the provider', () => {
    for (const input of [
      [1, 2, 3],
      [[1, 2], [3]],
    ]) {
      const err = mappingError(() => textInput(input, 'Gemini'));
      expect(err.param).toBe('input');
      expect(err.code).toBe('unsupported_input');
      expect(err.message).toMatch(/^Gemini embeds text only/);
    }
    expect(mappingError(() => textInput(['a', 1], 'X')).code).toBe('unsupported_input');
    for (const input of [undefined, null, 3, {}, []]) expect(mappingError(() => textInput(input, 'X'))).toMatchObject({ param: 'input', code: 'invalid_value' });
  });

  it('reads dimensions and encoding_format', () => {
    expect(requestedDimensions({ dimensions: 256 })).toBe(256);
    for (const dimensions of [undefined, 0, -3, 1.5, '8', Number.NaN]) expect(requestedDimensions({ dimensions })).toBeUndefined();
    expect(encodingFormat({ encoding_format: 'base64' })).toBe('base64');
    expect(encodingFormat({ encoding_format: 'float' })).toBe('float');
    expect(encodingFormat({})).toBe('float');
  });

  it('encodes a vector as little-endian float32 base64, as the SDK decodes it', () => {
    expect(float32Base64([1, -2])).toBe('AACAPwAAAMA=');
    expect(float32Base64([])).toBe('');
    expect(decode(float32Base64([0.5, -0.25, 3, 0]))).toEqual([0.5, -0.25, 3, 0]);
    // Not float32-exact: the nearest float32, as OpenAI's own base64 carries.
    expect(decode(float32Base64([0.1]))[0]).toBeCloseTo(0.1, 7);
    expect(Buffer.from(float32Base64([1]), 'base64')).toEqual(Buffer.from([0x00, 0x00, 0x80, 0x3f]));
  });

  it('accepts only non-empty arrays of finite numbers as vectors', () => {
    expect(numberVector([0.1, -2])).toEqual([0.1, -2]);
    for (const v of [[], [1, '2'], [1, null], [Number.POSITIVE_INFINITY], 'x', undefined, { 0: 1 }]) expect(numberVector(v)).toBeUndefined();
  });

  it('builds OpenAI’s list in input order, float or base64, with usage and the model', () => {
    const got = {
      vectors: [
        [0.5, 0.25],
        [1, 2],
      ],
      promptTokens: 7,
    };
    expect(toOpenAIEmbeddingList(got, { model: 'm', encodingFormat: 'float' })).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.5, 0.25] },
        { object: 'embedding', index: 1, embedding: [1, 2] },
      ],
      model: 'm',
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
    const b64 = toOpenAIEmbeddingList({ ...got, model: 'named' }, { model: 'm', encodingFormat: 'base64' });
    expect(b64.model).toBe('named');
    expect(b64.data.map((d) => decode(d.embedding as string))).toEqual(got.vectors);
  });
});

describe('gemini batchEmbedContents mapping', () => {
  it('sends one request per text, each naming the URL’s model, with outputDimensionality', () => {
    expect(toGeminiEmbedRequest({ model: 'gemini-embedding-001', input: ['a', 'b'], dimensions: 8, encoding_format: 'base64', user: 'u' })).toEqual({
      requests: [
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] }, outputDimensionality: 8 },
        { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] }, outputDimensionality: 8 },
      ],
    });
    expect(toGeminiEmbedRequest({ model: 'models/text-embedding-004', input: 'x' })).toEqual({ requests: [{ model: 'models/text-embedding-004', content: { parts: [{ text: 'x' }] } }] });
    expect(toGeminiEmbedRequest({ model: 'tunedModels/mine', input: 'x' }).requests[0]!.model).toBe('tunedModels/mine');
  });

  it('refuses token ids and more texts than one batch holds, naming input', () => {
    expect(mappingError(() => toGeminiEmbedRequest({ model: 'g', input: [[1, 2]] }))).toMatchObject({ param: 'input', code: 'unsupported_input' });
    const many = Array.from({ length: GEMINI_MAX_BATCH + 1 }, (_, i) => `t${i}`);
    expect(mappingError(() => toGeminiEmbedRequest({ model: 'g', input: many }))).toMatchObject({ param: 'input', code: 'too_many_inputs' });
    expect(toGeminiEmbedRequest({ model: 'g', input: many.slice(1) }).requests).toHaveLength(GEMINI_MAX_BATCH);
  });

  it('refuses through the protocol as a value, never a throw', () => {
    expect(geminiProtocol.embeddings!.translateRequest({ model: 'g', input: [1, 2] })).toMatchObject({ ok: false, param: 'input', code: 'unsupported_input' });
    expect(geminiProtocol.embeddings!.translateRequest({ model: 'g', input: 'x' })).toMatchObject({ ok: true });
  });

  it('calls models/{model}:batchEmbedContents under the base, the model escaped', () => {
    expect(geminiProtocol.embeddings!.callPath('/v1beta', 'gemini-embedding-001')).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(geminiProtocol.embeddings!.callPath('/v1beta', '../x')).toBe('/v1beta/models/%2E%2E/x:batchEmbedContents');
    expect(geminiProtocol.embeddings!.callPath('/v1beta', '..')).toBe('/v1beta/models/%2E%2E:batchEmbedContents');
  });

  it('estimates tokens as characters / 4, rounded up (Gemini reports none)', () => {
    expect(estimatedTokens(['hello world'])).toBe(3);
    expect(estimatedTokens(['abcd', 'abcd'])).toBe(2);
    expect(estimatedTokens(['a', ''])).toBe(1);
    expect(estimatedTokens([''])).toBe(0);
    expect(estimatedTokens(['日本語🙂'])).toBe(1);
  });

  const sent: GeminiEmbedRequest = toGeminiEmbedRequest({ model: 'g', input: ['abcd', 'efghi'] });

  it('reads the vectors in order, with estimated usage', () => {
    const body = ok(fromGeminiEmbeddings({ embeddings: [{ values: [0.5, 1] }, { values: [0.25, 2] }] }, sent));
    expect(body).toEqual({
      vectors: [
        [0.5, 1],
        [0.25, 2],
      ],
      promptTokens: 3,
    });
  });

  it('answers 502 when the answer is not one vector per text', () => {
    for (const answer of [undefined, {}, { embeddings: {} }, { embeddings: [{ values: [1] }] }, { embeddings: [{ values: [1] }, { values: [] }] }, { embeddings: [{ values: [1] }, {}] }]) {
      const got = fromGeminiEmbeddings(answer, sent);
      expect(isMappedError(got) && got.status).toBe(502);
    }
  });

  it('keeps Google’s error when a 200 carries one', () => {
    const got = fromGeminiEmbeddings({ error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' } }, sent);
    expect(got).toMatchObject({ status: 429, body: { error: { message: 'quota', code: 'resource_exhausted' } } });
  });
});

describe('ollama /api/embed mapping', () => {
  it('keeps the shape of input, and passes dimensions', () => {
    expect(toOllamaEmbedRequest({ model: 'nomic-embed-text', input: 'hi', encoding_format: 'base64' })).toEqual({ model: 'nomic-embed-text', input: 'hi' });
    expect(toOllamaEmbedRequest({ model: 'nomic-embed-text', input: ['a'], dimensions: 64 })).toEqual({ model: 'nomic-embed-text', input: ['a'], dimensions: 64 });
  });

  it('refuses token ids, naming input', () => {
    expect(mappingError(() => toOllamaEmbedRequest({ model: 'm', input: [[1], [2]] }))).toMatchObject({ param: 'input', code: 'unsupported_input' });
    expect(ollamaProtocol.embeddings!.translateRequest({ model: 'm', input: [5] })).toMatchObject({ ok: false, param: 'input' });
  });

  it('calls /api/embed at the server root', () => {
    const embeddings = ollamaProtocol.embeddings!;
    expect(embeddings.callPath(ollamaProtocol.basePath('/v1/'), 'm')).toBe('/api/embed');
    expect(embeddings.callPath(ollamaProtocol.basePath('/proxy/ollama/api'), 'm')).toBe('/proxy/ollama/api/embed');
  });

  it('reads vectors, prompt_eval_count and the model', () => {
    const body = ok(fromOllamaEmbeddings({ model: 'nomic-embed-text:latest', embeddings: [[0.5], [0.25]], prompt_eval_count: 4 }, { model: 'nomic-embed-text', input: ['a', 'b'] }));
    expect(body).toEqual({ vectors: [[0.5], [0.25]], promptTokens: 4, model: 'nomic-embed-text:latest' });
    // Counts are omitempty: missing means 0; no model: the one asked for is used later.
    expect(ok(fromOllamaEmbeddings({ embeddings: [[1]] }, { model: 'm', input: 'a' }))).toEqual({ vectors: [[1]], promptTokens: 0 });
  });

  it('answers 502 when the answer is not one vector per input, keeping an error Ollama sent', () => {
    for (const answer of [undefined, {}, { embeddings: [] }, { embeddings: [[1], [2]] }, { embeddings: [['x']] }]) {
      const got = fromOllamaEmbeddings(answer, { model: 'm', input: 'a' });
      expect(isMappedError(got) && got.status).toBe(502);
    }
    expect(fromOllamaEmbeddings({ error: 'model is loading' }, { model: 'm', input: 'a' })).toMatchObject({ status: 502, body: { error: { message: 'model is loading' } } });
  });
});

describe('which translating adapters embed', () => {
  const pool = new UpstreamAgentPool();
  afterAll(() => pool.destroy());
  const config = (type: string): ProviderConfig => ({ name: type, type, base_url: 'http://127.0.0.1:1/v1', timeout_ms: 1000, weight: 1 }) as ProviderConfig;

  it('lists embeddings only for protocols that define them', () => {
    expect([...new GeminiAdapter(config('gemini'), pool).endpoints].sort()).toEqual(['chat/completions', 'embeddings']);
    expect([...new OllamaAdapter(config('ollama'), pool).endpoints].sort()).toEqual(['chat/completions', 'embeddings']);
    expect([...new AnthropicAdapter(config('anthropic'), pool).endpoints]).toEqual(['chat/completions']);
  });
});
