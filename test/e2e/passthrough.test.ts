/**
 * The rest of the OpenAI surface (files, batches, stored chat completions, moderations, DELETE
 * /v1/models/{id}, ...), passed through unchanged to `openai` providers with the official SDK as the
 * client: bodies byte-exact and streamed both ways, objects looked up where they were made, safe
 * methods failing over, keys kept from the client.
 */
import { randomBytes } from 'node:crypto';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeOpenAIObjects } from '../support/fake-openai-objects.js';
import { freePort } from '../support/free-port.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

const key = (name: string) => `sk-${name}-secret-0123456789`;
const provider = (name: string, type: string, url: string) => `  - name: ${name}\n    type: ${type}\n    base_url: ${url}\n    api_key: ${key(name)}\n    models: [gpt-4o-mini]\n`;

describe('pass-through to openai providers', () => {
  let compat: FakeOpenAIObjects;
  let alpha: FakeOpenAIObjects;
  let beta: FakeOpenAIObjects;
  let gw: TestGateway;
  const client = () => gw.client({ apiKey: 'client-key-xyz' });

  beforeAll(async () => {
    [compat, alpha, beta] = await Promise.all([FakeOpenAIObjects.start('compat'), FakeOpenAIObjects.start('alpha'), FakeOpenAIObjects.start('beta')]);
    const yaml = `providers:\n${provider('compat', 'openai_compatible', compat.url)}${provider('alpha', 'openai', alpha.url)}${provider('beta', 'openai', beta.url)}circuit_breaker: { failure_threshold: 1000 }\n`;
    gw = await startTestGateway(yaml);
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all([compat, alpha, beta].map((f) => f?.close()));
  });
  beforeEach(() => {
    for (const f of [compat, alpha, beta]) f.reset();
  });

  it('uploads a 5 MB file byte-exact to the first openai provider and reads it back exactly', async () => {
    const bytes = randomBytes(5 * 1024 * 1024);
    const { data: file, response } = await client()
      .files.create({ file: await toFile(bytes, 'data.jsonl'), purpose: 'batch' })
      .withResponse();
    expect(file.id).toBe('file-alpha-1');
    expect(file.bytes).toBe(bytes.length);
    expect(response.headers.get('x-switchyard-provider')).toBe('alpha');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(alpha.files.get(file.id)!.bytes!.equals(bytes)).toBe(true);
    const sent = alpha.requests[0]!;
    expect(sent.headers.authorization).toBe(`Bearer ${key('alpha')}`);
    expect(JSON.stringify(sent.headers)).not.toContain('client-key-xyz');
    expect(sent.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);

    const content = await client().files.content(file.id);
    expect(content.headers.get('content-disposition')).toContain('data.jsonl');
    expect(Buffer.from(await content.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await client().files.retrieve(file.id)).filename).toBe('data.jsonl');
    const listed = [];
    for await (const f of client().files.list()) listed.push(f.id);
    expect(listed).toEqual([file.id]);
    expect(await client().files.delete(file.id)).toMatchObject({ id: file.id, deleted: true });
    expect(compat.requests).toHaveLength(0);
    expect(beta.requests).toHaveLength(0);
  });

  it('streams an upload: the provider gets its first bytes before the client has sent the rest', async () => {
    const boundary = 'switchyard-boundary';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const first = Buffer.concat([head, Buffer.alloc(1000, 'a')]);
    const rest = Buffer.concat([Buffer.alloc(1000, 'b'), Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const arrived = alpha.waitForBytes(first.length);
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(first);
        await Promise.race([arrived, new Promise((_, reject) => setTimeout(() => reject(new Error('the gateway held the upload back')), 5000))]);
        controller.enqueue(rest);
        controller.close();
      },
    });
    const res = await fetch(`${gw.url}/v1/files`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(200);
    expect(alpha.files.get('file-alpha-1')!.bytes!.toString()).toBe('a'.repeat(1000) + 'b'.repeat(1000));
  });

  it('streams a download: the first half arrives while the provider still holds the second', async () => {
    const bytes = randomBytes(256 * 1024);
    const file = await client().files.create({ file: await toFile(bytes, 'data.jsonl'), purpose: 'batch' });
    const release = alpha.holdContent();
    const res = await fetch(`${gw.url}/v1/files/${file.id}/content`);
    const reader = res.body!.getReader();
    const got: Uint8Array[] = [];
    let size = 0;
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the gateway held the download back')), 5000));
    while (size < bytes.length / 2) {
      const r = await Promise.race([reader.read(), timeout]);
      got.push(r.value!);
      size += r.value!.length;
    }
    expect(size).toBe(bytes.length / 2);
    release();
    for (let r = await reader.read(); !r.done; r = await reader.read()) got.push(r.value);
    expect(Buffer.concat(got).equals(bytes)).toBe(true);
  });

  it('answers HEAD with the headers only', async () => {
    const file = await client().files.create({ file: await toFile(Buffer.from('abc'), 'a.jsonl'), purpose: 'batch' });
    const res = await fetch(`${gw.url}/v1/files/${file.id}/content`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('3');
    expect(res.headers.get('x-switchyard-provider')).toBe('alpha');
    expect(alpha.requests.at(-1)!.method).toBe('HEAD');
  });

  it('sends requests about an object made at beta to beta only', async () => {
    alpha.enqueue({ kind: 'status', status: 404 }); // alpha does not take the batch: beta makes it
    const batch = await client().batches.create({ input_file_id: 'file-1', endpoint: '/v1/chat/completions', completion_window: '24h' });
    expect(batch.id).toBe('batch_beta-1');
    alpha.reset();
    expect((await client().batches.retrieve(batch.id)).status).toBe('validating');
    expect((await client().batches.cancel(batch.id)).status).toBe('cancelling');
    expect(alpha.requests).toHaveLength(0);
    expect(beta.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/batches', `GET /v1/batches/${batch.id}`, `POST /v1/batches/${batch.id}/cancel`]);
  });

  it('finds a stored chat completion at the provider that has it, then goes there directly', async () => {
    beta.seedCompletion('chatcmpl-stored-1', 'kept answer');
    const { data, response } = await client().chat.completions.retrieve('chatcmpl-stored-1').withResponse();
    expect(data.choices[0]!.message.content).toBe('kept answer');
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    alpha.reset();
    const updated = await client().chat.completions.update('chatcmpl-stored-1', { metadata: { topic: 'kept' } });
    expect(updated).toMatchObject({ metadata: { topic: 'kept' } });
    const messages = [];
    for await (const m of client().chat.completions.messages.list('chatcmpl-stored-1')) messages.push(m.content);
    expect(messages).toEqual(['hello']);
    expect(await client().chat.completions.delete('chatcmpl-stored-1')).toMatchObject({ deleted: true });
    expect(alpha.requests).toHaveLength(0);
  });

  it('lists stored chat completions with the query string forwarded, and OpenAI-* headers passed', async () => {
    alpha.seedCompletion('chatcmpl-a', 'one');
    alpha.seedCompletion('chatcmpl-b', 'two');
    const sdk = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client-key-xyz', organization: 'org-acme', project: 'proj-1', maxRetries: 0 });
    const page = await sdk.chat.completions.list({ limit: 1 }, { headers: { 'OpenAI-Beta': 'assistants=v2' } });
    expect(page.data.map((c) => c.id)).toEqual(['chatcmpl-a']);
    const got = alpha.requests[0]!;
    expect(got.path).toBe('/v1/chat/completions?limit=1');
    expect(got.headers).toMatchObject({ 'openai-organization': 'org-acme', 'openai-project': 'proj-1', 'openai-beta': 'assistants=v2' });
  });

  it('passes a JSON answer larger than what it reads ahead through whole', async () => {
    for (let i = 0; i < 1000; i++) alpha.seedCompletion(`chatcmpl-${i}`, 'x'.repeat(100));
    const page = await client().chat.completions.list({ limit: 1000 });
    expect(page.data).toHaveLength(1000);
    expect(page.data[999]!.id).toBe('chatcmpl-999');
  });

  it('fails a GET over to the next openai provider on a 500 or a dropped connection', async () => {
    alpha.enqueue({ kind: 'status', status: 500 }, { kind: 'reset' });
    for (let i = 0; i < 2; i++) {
      const { response } = await client().files.list().withResponse();
      expect(response.headers.get('x-switchyard-provider')).toBe('beta');
      expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    }
    expect(beta.requests).toHaveLength(2);
    const lines = gw.logs.filter((l) => l.includes('"path":"/v1/files"') && l.includes('"msg":"request"'));
    expect(lines.at(-1)).toMatch(/"status":200/);
    expect(gw.logs.some((l) => l.includes('pass-through attempt failed') && l.includes('"provider":"alpha"'))).toBe(true);
  });

  it('does not send a POST again after a 500 or a dropped connection', async () => {
    alpha.enqueue({ kind: 'status', status: 500 });
    await expect(client().moderations.create({ input: 'hello' })).rejects.toMatchObject({ status: 500 });
    alpha.enqueue({ kind: 'reset' });
    const upload = client().files.create({ file: await toFile(randomBytes(200 * 1024), 'big.jsonl'), purpose: 'batch' });
    await expect(upload).rejects.toMatchObject({ status: 502, error: { code: 'all_providers_failed' } });
    expect(beta.requests).toHaveLength(0);
    const { data, response } = await client().moderations.create({ input: 'hello' }).withResponse();
    expect(data.id).toBe('modr-alpha-1');
    expect(response.headers.get('x-switchyard-provider')).toBe('alpha');
  });

  it('sends a streamed upload on when the first provider cannot be reached (nothing left the gateway)', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/v1`;
    const two = await startTestGateway(`providers:\n${provider('dead', 'openai', dead)}${provider('alpha', 'openai', alpha.url)}`);
    try {
      const bytes = randomBytes(1024 * 1024);
      const { data, response } = await two
        .client()
        .files.create({ file: await toFile(bytes, 'data.jsonl'), purpose: 'batch' })
        .withResponse();
      expect(response.headers.get('x-switchyard-provider')).toBe('alpha');
      expect(response.headers.get('x-switchyard-attempts')).toBe('2');
      expect(alpha.files.get(data.id)!.bytes!.equals(bytes)).toBe(true);
    } finally {
      await two.close();
    }
  });

  it('never lets a provider key reach the client, even when the provider echoes it', async () => {
    alpha.enqueue({ kind: 'echo-key', status: 400 });
    const res = await fetch(`${gw.url}/v1/moderations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"input":"x"}' });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('secret-0123456789');
    expect(JSON.stringify([...res.headers])).not.toContain('secret-0123456789');
  });

  it('forwards DELETE /v1/models/{id} and still answers GET /v1/models itself', async () => {
    const deleted = await client().models.delete('ft:gpt-4o-mini:acme::abc123');
    expect(deleted).toMatchObject({ id: 'ft:gpt-4o-mini:acme::abc123', deleted: true });
    expect(alpha.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['DELETE /v1/models/ft:gpt-4o-mini:acme::abc123']);
    const models = [];
    for await (const m of client().models.list()) models.push(m.id);
    expect(models).toEqual(['gpt-4o-mini']);
    expect(alpha.requests).toHaveLength(1);
  });

  it('never uses an openai_compatible provider, and answers 404 saying why when no openai provider exists', async () => {
    const only = await startTestGateway(`providers:\n${provider('compat', 'openai_compatible', compat.url)}`);
    try {
      const err = await only
        .client()
        .files.list()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      const res = await fetch(`${only.url}/v1/files`, { method: 'POST', body: 'x' });
      expect(await res.json()).toEqual({
        error: {
          message: 'Unknown request URL: POST /v1/files. Requests beyond chat, completions, embeddings and models are forwarded only to a provider of type openai, and none is configured.',
          type: 'invalid_request_error',
          param: null,
          code: 'unknown_url',
        },
      });
      expect(compat.requests).toHaveLength(0);
    } finally {
      await only.close();
    }
  });

  it('refuses a body over limits.max_body_bytes with 413, declared or streamed', async () => {
    const small = await startTestGateway(`providers:\n${provider('alpha', 'openai', alpha.url)}limits: { max_body_bytes: 100000 }\n`);
    try {
      const declared = await fetch(`${small.url}/v1/files`, { method: 'POST', body: Buffer.alloc(200_000) });
      expect(declared.status).toBe(413);
      const streamed = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(50_000));
          controller.close();
        },
      });
      const res = await fetch(`${small.url}/v1/files`, { method: 'POST', body: streamed, duplex: 'half' } as RequestInit);
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
    } finally {
      await small.close();
    }
  });
});
