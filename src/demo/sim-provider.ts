import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerBody, overloaded, type SimAnswer, type SimStyle, streamFrames } from './wire.js';

/** How a simulated provider behaves right now (the incident scheduler changes it). */
export type SimMode = 'healthy' | 'overloaded' | 'timeout' | 'slow';

/** What a simulated provider is: its name, protocol, model, price and speed. */
export interface SimSpec {
  name: string;
  style: SimStyle;
  model: string;
  /** USD per million tokens, as the vendor lists them. */
  price: { input: number; output: number };
  /** Typical time to the first byte, and per generated token. */
  firstByteMs: number;
  perTokenMs: number;
}

const SLOW_FACTOR = 2.5;
const WORDS = 'the gateway routes each request to the cheapest healthy provider and fails over when one of them breaks'.split(' ');

/**
 * An in-process stand-in for a real LLM provider, on a loopback port: it speaks the real wire format of
 * its style (OpenAI chat completions, Anthropic Messages or Gemini generateContent, JSON and SSE), takes
 * realistic time and counts tokens, and misbehaves as its `mode` says. Its answers say they are
 * SIMULATED.
 *
 * @example
 * const sim = await SimProvider.start({ name: 'sim-openai', style: 'openai', model: 'gpt-4o', price: { input: 2.5, output: 10 }, firstByteMs: 300, perTokenMs: 6 });
 * sim.mode = 'overloaded'; // every request now gets 503
 */
export class SimProvider {
  mode: SimMode = 'healthy';
  /** Requests received, answered or not. */
  received = 0;
  private seq = 0;
  private readonly server: Server;

  private constructor(
    readonly spec: SimSpec,
    private readonly random: () => number,
  ) {
    this.server = createServer((req, res) => this.receive(req, res));
  }

  static async start(spec: SimSpec, random: () => number = Math.random): Promise<SimProvider> {
    const sim = new SimProvider(spec, random);
    await new Promise<void>((resolve) => sim.server.listen(0, '127.0.0.1', resolve));
    return sim;
  }

  /** The `base_url` a gateway config names for it. */
  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}${this.spec.style === 'gemini' ? '/v1beta' : '/v1'}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      this.received += 1;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // answered below like any request
      }
      void this.answer(req, res, body);
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): Promise<void> {
    const mode = this.mode;
    if (mode === 'timeout') return; // never answers: the gateway's timeout gives up, and the socket closes with it
    const slow = mode === 'slow' ? SLOW_FACTOR : 1;
    await sleep(this.jitter(this.spec.firstByteMs) * slow);
    if (res.destroyed) return;
    if (mode === 'overloaded') {
      const e = overloaded(this.spec.style);
      res.writeHead(e.status, { 'content-type': e.contentType }).end(e.body);
      return;
    }
    const answer = this.compose(body);
    const url = req.url ?? '';
    const stream = this.spec.style === 'gemini' ? url.includes(':streamGenerateContent') : body.stream === true;
    const perToken = this.spec.perTokenMs * slow;
    if (!stream) {
      await sleep(answer.completionTokens * perToken);
      if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(answerBody(this.spec.style, answer));
      return;
    }
    const usage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const perPiece = (answer.completionTokens / answer.pieces.length) * perToken;
    for (const frame of streamFrames(this.spec.style, answer, usage)) {
      if (res.destroyed) return;
      res.write(frame);
      await sleep(perPiece);
    }
    res.end();
  }

  /** An answer of 20 to 160 tokens, its prompt counted at about four characters a token. */
  private compose(body: Record<string, unknown>): SimAnswer {
    const promptTokens = Math.max(8, Math.ceil(JSON.stringify(body.messages ?? body.contents ?? '').length / 4));
    const completionTokens = 20 + Math.floor(this.random() * 140);
    const words = Math.max(4, Math.round(completionTokens / 1.3));
    const pieces = [`[SIMULATED ${this.spec.name}]`];
    for (let i = 0; i < words; i++) pieces.push(` ${WORDS[i % WORDS.length]}`);
    const prefix = this.spec.style === 'openai' ? 'chatcmpl-sim-' : this.spec.style === 'anthropic' ? 'msg_sim_' : 'sim-';
    return { id: `${prefix}${++this.seq}`, model: this.spec.model, pieces, promptTokens, completionTokens };
  }

  /** A typical duration with spread, and now and then a slow one (the tail real providers have). */
  private jitter(ms: number): number {
    const tail = this.random() < 0.05 ? 2.5 : 1;
    return ms * (0.7 + 0.6 * this.random()) * tail;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
