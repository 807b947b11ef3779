/**
 * The `@stdy/cli` mock (`steady`) of the official OpenAI spec, run as a child process, behind a small recording
 * proxy. Steady validates every request it receives against the spec and says so in its answer's
 * `x-steady-request-valid` header (details in `x-steady-error-N-{code,path,message}`); the gateway does not pass
 * those headers on to its clients, so the proxy records them for each request the gateway forwards.
 *
 * Steady serves the spec's paths at its root (`/chat/completions`, not `/v1/chat/completions`): point a
 * provider's `base_url` at `url` as it is. The spec file is `OPENAI_OPENAPI_SPEC` or ../shared/specs next to the
 * repository.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { SPEC_PATH } from './openapi-spec.js';

export const STEADY_SPEC_PATH = SPEC_PATH;

/** One diagnostic steady reported for a request. */
export interface SteadyIssue {
  code: string;
  path: string;
  message: string;
}

/** One request that reached the mock, with the mock's verdict on it. */
export interface SteadyExchange {
  method: string;
  path: string;
  /** The request body as the gateway sent it (parsed when JSON). */
  body: unknown;
  requestHeaders: IncomingHttpHeaders;
  status: number;
  /** `x-steady-request-valid`: whether the request is valid by the spec. */
  valid: boolean;
  matchedPath: string | undefined;
  contentType: string | undefined;
  issues: SteadyIssue[];
}

export interface SteadyMock {
  /** Base URL of the recording proxy in front of the mock (spec paths at its root). */
  url: string;
  /** Base URL of the mock itself. */
  mockUrl: string;
  /** Every exchange so far, oldest first. */
  exchanges: SteadyExchange[];
  /** What the mock printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** The steady binary for this platform, or the package's launcher when that cannot be found. */
function steadyCommand(): { command: string; prefix: string[] } {
  const require = createRequire(import.meta.url);
  try {
    const pkg = require.resolve(`@stdy/cli-${process.platform}-${process.arch}/package.json`);
    const bin = fileURLToPath(new URL(process.platform === 'win32' ? 'bin/steady.exe' : 'bin/steady', `file://${pkg}`));
    if (existsSync(bin)) return { command: bin, prefix: [] };
  } catch {
    // fall through to the launcher, which reports what is missing
  }
  return { command: process.execPath, prefix: [require.resolve('@stdy/cli/steady.js')] };
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`steady exited (${child.exitCode ?? child.signalCode}) before answering:\n${output()}`);
    try {
      const res = await fetch(`${url}/_x-steady/health`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`steady did not answer within ${timeoutMs} ms:\n${output()}`);
}

function issuesOf(headers: IncomingHttpHeaders): SteadyIssue[] {
  const count = Number(headers['x-steady-error-count'] ?? 0);
  const issues: SteadyIssue[] = [];
  for (let i = 1; i <= count; i++) {
    const h = (k: string) => String(headers[`x-steady-error-${i}-${k}`] ?? '');
    issues.push({ code: h('code'), path: h('path'), message: h('message') });
  }
  return issues;
}

/** A proxy that forwards everything to `target` and records the mock's verdict on each request. */
function recordingProxy(target: URL, exchanges: SteadyExchange[]): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: unknown = raw.toString('utf8');
      try {
        body = JSON.parse(body as string);
      } catch {
        // not JSON: keep the text
      }
      const headers = { ...req.headers, host: target.host };
      const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
        exchanges.push({
          method: req.method ?? '',
          path: req.url ?? '',
          body,
          requestHeaders: req.headers,
          status: answer.statusCode ?? 0,
          valid: answer.headers['x-steady-request-valid'] === 'true',
          matchedPath: answer.headers['x-steady-matched-path'] as string | undefined,
          contentType: answer.headers['content-type'],
          issues: issuesOf(answer.headers),
        });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', (err) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `steady proxy: ${err.message}` } }));
      });
      up.end(raw);
    });
  });
}

/**
 * Starts steady on a free port with the OpenAI spec and a recording proxy in front of it. By default steady
 * answers a request it finds invalid with 400 (its `reject-on-sdk-error` mode) and a valid one with a response
 * generated from the spec's schema.
 */
export async function startSteadyMock(options: { spec?: string; readyTimeoutMs?: number; args?: string[] } = {}): Promise<SteadyMock> {
  const spec = options.spec ?? STEADY_SPEC_PATH;
  if (!existsSync(spec)) throw new Error(`OpenAI spec not found at ${spec} (set OPENAI_OPENAPI_SPEC)`);
  const port = await freePort();
  const { command, prefix } = steadyCommand();
  const child = spawn(command, [...prefix, '--port', String(port), '--no-color', '--log=false', ...(options.args ?? []), spec], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let printed = '';
  const keep = (c: Buffer) => {
    printed = (printed + c.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const mockUrl = `http://127.0.0.1:${port}`;
  const stopChild = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitUntilReady(mockUrl, child, () => printed, options.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await stopChild();
    throw err;
  }
  const exchanges: SteadyExchange[] = [];
  const proxy = recordingProxy(new URL(mockUrl), exchanges);
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = proxy.address() as { port: number };
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    mockUrl,
    exchanges,
    output: () => printed,
    async stop() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await stopChild();
    },
  };
}
