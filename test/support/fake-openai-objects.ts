/**
 * A fake OpenAI for the parts of the API that hold objects: files (multipart upload, binary content),
 * batches, stored chat completions, moderations and model deletion. Ids carry the fake's name
 * (`file-beta-1`), so a test sees where an object was made. Every request is recorded with its raw
 * body; faults (an HTTP status, a status whose error quotes the key it was sent, a dropped connection)
 * are queued in front of a default.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { sendJson } from './fake-server.js';

export type ObjectsFault =
  | { kind: 'ok' }
  /** Answers this status with an OpenAI error envelope. */
  | { kind: 'status'; status: number }
  /** Answers this status with an error whose message quotes the Authorization header it received. */
  | { kind: 'echo-key'; status: number }
  /** Drops the connection once the request is in. */
  | { kind: 'reset' };

export interface ObjectsRequest {
  method: string;
  /** With the query string. */
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

interface Stored {
  meta: Record<string, unknown>;
  bytes?: Buffer;
}

export class FakeOpenAIObjects {
  readonly requests: ObjectsRequest[] = [];
  readonly files = new Map<string, Stored>();
  readonly batches = new Map<string, Stored>();
  readonly completions = new Map<string, Stored>();
  /** Request body bytes received so far, counted as they arrive (before a request is whole). */
  bytesReceived = 0;
  private readonly server: Server = createServer({ keepAliveTimeout: 60_000 });
  private readonly sockets = new Set<Socket>();
  private queue: ObjectsFault[] = [];
  private fallback: ObjectsFault = { kind: 'ok' };
  private counter = 0;
  private gate: Promise<void> | undefined;
  private byteWaiters: Array<{ n: number; resolve: () => void }> = [];

  private constructor(readonly name: string) {
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.receive(req, res));
  }

  static async start(name: string): Promise<FakeOpenAIObjects> {
    const fake = new FakeOpenAIObjects(name);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The base URL a provider's `base_url` takes: `http://127.0.0.1:<port>/v1`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  enqueue(...faults: ObjectsFault[]): this {
    this.queue.push(...faults);
    return this;
  }

  setDefault(fault: ObjectsFault): this {
    this.fallback = fault;
    return this;
  }

  /** Forgets requests, faults, objects and any hold on file content. */
  reset(): this {
    this.requests.length = 0;
    this.queue = [];
    this.fallback = { kind: 'ok' };
    this.files.clear();
    this.batches.clear();
    this.completions.clear();
    this.gate = undefined;
    this.bytesReceived = 0;
    this.counter = 0;
    return this;
  }

  /** Holds file content after its first half until the returned function is called. */
  holdContent(): () => void {
    let release = () => {};
    this.gate = new Promise<void>((r) => (release = r));
    return release;
  }

  /** Resolves once `n` request body bytes have arrived in all. */
  waitForBytes(n: number): Promise<void> {
    if (this.bytesReceived >= n) return Promise.resolve();
    return new Promise((resolve) => this.byteWaiters.push({ n, resolve }));
  }

  /** A stored chat completion, as if made with `store: true` through this provider. */
  seedCompletion(id: string, content: string, metadata: Record<string, string> = {}): void {
    const message = { role: 'assistant', content, refusal: null };
    const meta = { id, object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o-mini', metadata, choices: [{ index: 0, message, finish_reason: 'stop', logprobs: null }] };
    this.completions.set(id, { meta });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      this.bytesReceived += c.length;
      for (const w of this.byteWaiters.filter((w) => this.bytesReceived >= w.n)) w.resolve();
      this.byteWaiters = this.byteWaiters.filter((w) => this.bytesReceived < w.n);
    });
    req.on('end', () => {
      const got: ObjectsRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
      this.requests.push(got);
      void this.answer(req, res, got).catch((err: Error) => sendJson(res, 500, envelope(`fake failed: ${err.message}`, 'server_error')));
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse, got: ObjectsRequest): Promise<void> {
    const fault = this.queue.shift() ?? this.fallback;
    if (fault.kind === 'reset') return void req.socket.destroy();
    if (fault.kind === 'status') return sendJson(res, fault.status, envelope(`${this.name} failed with ${fault.status}`, 'server_error'));
    if (fault.kind === 'echo-key') return sendJson(res, fault.status, envelope(`Incorrect API key provided: ${got.headers.authorization ?? ''}`, 'invalid_request_error'));

    const [pathname = '', query = ''] = got.path.split('?', 2);
    // `chat/completions` is one collection; HEAD is answered as GET (Node leaves the body out).
    const parts = pathname
      .replace(/^\/v1\//, '')
      .replace(/^chat\/completions/, 'chat.completions')
      .split('/')
      .map(decodeURIComponent);
    const method = got.method === 'HEAD' ? 'GET' : got.method;
    const route = `${method} ${parts.map((p, i) => (i === 1 ? ':id' : p)).join('/')}`.replace('chat.completions', 'chat/completions');
    const id = parts[1] ?? '';
    const notFound = () => sendJson(res, 404, envelope(`No such object: '${id}' at ${this.name}`, 'invalid_request_error'));
    switch (route) {
      case 'POST files': {
        const form = await new Response(new Uint8Array(got.body), { headers: { 'content-type': got.headers['content-type'] ?? '' } }).formData();
        const file = form.get('file');
        if (!(file instanceof Blob)) return sendJson(res, 400, envelope('file is required', 'invalid_request_error'));
        const bytes = Buffer.from(await file.arrayBuffer());
        const meta = { id: this.nextId('file-'), object: 'file', bytes: bytes.length, created_at: 1_700_000_000, filename: (file as File).name, purpose: form.get('purpose'), status: 'processed' };
        this.files.set(meta.id, { meta, bytes });
        return sendJson(res, 200, meta);
      }
      case 'GET files':
        return sendJson(res, 200, list([...this.files.values()].map((f) => f.meta)));
      case 'GET files/:id':
        return this.files.has(id) ? sendJson(res, 200, this.files.get(id)!.meta) : notFound();
      case 'DELETE files/:id':
        return this.files.delete(id) ? sendJson(res, 200, { id, object: 'file', deleted: true }) : notFound();
      case 'GET files/:id/content':
        return this.files.has(id) ? this.sendContent(res, this.files.get(id)!.bytes!) : notFound();
      case 'POST batches': {
        const body = JSON.parse(got.body.toString('utf8')) as Record<string, unknown>;
        const meta = {
          id: this.nextId('batch_'),
          object: 'batch',
          endpoint: body.endpoint,
          input_file_id: body.input_file_id,
          completion_window: body.completion_window,
          status: 'validating',
          created_at: 1_700_000_000,
        };
        this.batches.set(meta.id, { meta });
        return sendJson(res, 200, meta);
      }
      case 'GET batches':
        return sendJson(res, 200, list([...this.batches.values()].map((b) => b.meta)));
      case 'GET batches/:id':
        return this.batches.has(id) ? sendJson(res, 200, this.batches.get(id)!.meta) : notFound();
      case 'POST batches/:id/cancel': {
        const batch = this.batches.get(id);
        if (!batch) return notFound();
        batch.meta.status = 'cancelling';
        return sendJson(res, 200, batch.meta);
      }
      case 'GET chat/completions': {
        const limit = Number(new URLSearchParams(query).get('limit') ?? 20);
        return sendJson(res, 200, list([...this.completions.values()].map((c) => c.meta).slice(0, limit)));
      }
      case 'GET chat/completions/:id':
        return this.completions.has(id) ? sendJson(res, 200, this.completions.get(id)!.meta) : notFound();
      case 'POST chat/completions/:id': {
        const stored = this.completions.get(id);
        if (!stored) return notFound();
        stored.meta.metadata = (JSON.parse(got.body.toString('utf8')) as { metadata: unknown }).metadata;
        return sendJson(res, 200, stored.meta);
      }
      case 'DELETE chat/completions/:id':
        return this.completions.delete(id) ? sendJson(res, 200, { id, object: 'chat.completion.deleted', deleted: true }) : notFound();
      case 'GET chat/completions/:id/messages': {
        if (!this.completions.has(id)) return notFound();
        return sendJson(res, 200, list([{ id: `${id}-0`, role: 'user', content: 'hello', name: null, content_parts: null }]));
      }
      case 'POST moderations':
        return sendJson(res, 200, { id: this.nextId('modr-'), model: 'omni-moderation-latest', results: [{ flagged: false, categories: {}, category_scores: {} }] });
      case 'DELETE models/:id':
        return sendJson(res, 200, { id, object: 'model', deleted: true });
      default:
        return sendJson(res, 404, envelope(`Unknown request URL: ${got.method} ${pathname}`, 'invalid_request_error'));
    }
  }

  /** Binary content in two writes; with a hold, the second waits for its release. */
  private async sendContent(res: ServerResponse, bytes: Buffer): Promise<void> {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length, 'content-disposition': 'attachment; filename="data.jsonl"' });
    const half = Math.floor(bytes.length / 2);
    res.write(bytes.subarray(0, half));
    if (this.gate) await this.gate;
    res.end(bytes.subarray(half));
  }

  private nextId(prefix: string): string {
    this.counter += 1;
    return `${prefix}${this.name}-${this.counter}`;
  }
}

const envelope = (message: string, type: string) => ({ error: { message, type, param: null, code: null } });

const list = (data: unknown[]) => ({ object: 'list', data, first_id: null, last_id: null, has_more: false });
