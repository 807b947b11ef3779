import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoadedConfig } from './config/load.js';
import { gatewayError } from './core/errors.js';
import type { Gateway } from './gateway.js';
import { answerClientError } from './http/client-errors.js';
import { writeError } from './http/errors.js';
import { LiveGateway, reportLoad } from './live-gateway.js';
import { createLogger, type Logger } from './telemetry/logger.js';

export interface RunningGateway {
  /** The gateway serving new requests (a reload replaces it). */
  readonly gateway: Gateway;
  server: Server;
  url: string;
  port: number;
  /** Re-reads the config file; an invalid one is refused and the current config keeps serving. */
  reload(): Promise<{ ok: true } | { ok: false; error: string }>;
  /** Stops accepting, lets in-flight requests and streams finish (up to the deadline), flushes state. */
  shutdown(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Overrides config.server.host / port (tests use port 0). */
  host?: string;
  port?: number;
  clock?: () => number;
  random?: () => number;
  /** Watch the config file and reload on change (default: when it came from a file). */
  watch?: boolean;
  /**
   * Warm the request path before listening with `config.server.warm_up_requests` requests through a
   * throwaway gateway (see warm-up.ts). `switchyard serve` does; the default here is not to, so that
   * embedding code and tests start at once.
   */
  warmUp?: boolean;
}

/** Builds the gateway and listens. Resolves once the port is bound. */
export async function startGateway(loaded: LoadedConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(loaded.config.logging.level);
  reportLoad(logger, loaded);
  const gatewayOptions = { logger, ...(options.clock ? { clock: options.clock } : {}), ...(options.random ? { random: options.random } : {}) };
  const live = await LiveGateway.start(loaded, gatewayOptions, options.port);
  if (options.warmUp && loaded.config.server.warm_up_requests > 0) await warmUpLogged(loaded, logger);
  let draining = false;
  const server = createHttpServer(loaded.config.server, (req, res) => {
    if (!draining) return live.handle(req, res);
    req.resume();
    live.active.metrics.rejected.labels('draining').inc();
    writeError(res, gatewayError('shutting_down', 'The gateway is shutting down.'), { connection: 'close', 'retry-after': 1 });
  });
  const host = options.host ?? loaded.config.server.host;
  const bound = await listen(server, host, options.port ?? loaded.config.server.port);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  logger.info({ host, port: bound, providers: [...live.active.chain], strategy: loaded.config.routing.strategy }, 'switchyard listening');
  if (options.watch ?? true) live.watch();

  let stopped: Promise<void> | undefined;
  const shutdown = (timeoutMs = live.active.config.server.shutdown_timeout_seconds * 1000): Promise<void> =>
    (stopped ??= (async () => {
      draining = true;
      live.unwatch();
      await drain(server, live, logger, timeoutMs);
      await live.active.close();
      logger.info('stopped');
      logger.flush();
    })());

  return {
    get gateway() {
      return live.active;
    },
    server,
    port: bound,
    url: `http://${shownHost}:${bound}`,
    reload: () => live.reload(),
    shutdown,
    close: () => shutdown(0),
  };
}

/** The warm-up, said in the log; a failure is said and start-up goes on (the process is then only colder). */
async function warmUpLogged(loaded: LoadedConfig, logger: Logger): Promise<void> {
  try {
    // Loaded only when configured: a gateway that does not warm up does not carry its code.
    const { warmUp } = await import('./warm-up.js');
    const r = await warmUp(loaded.config.server.warm_up_requests, loaded.config.logging.level);
    logger.info({ requests: r.requests, failed: r.failed, ms: Math.round(r.ms) }, 'warmed up: the request path is compiled before the port opens');
  } catch (err) {
    logger.warn({ err: { message: (err as Error).message } }, 'warm-up failed: serving without it');
  }
}

/** The HTTP server, with the slow-client limits and parser errors answered in the envelope. */
function createHttpServer(limits: LoadedConfig['config']['server'], onRequest: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer(
    {
      keepAliveTimeout: 65_000,
      // Slow clients: headers, then the whole request, must arrive in time (408); checked every second.
      headersTimeout: Math.min(limits.header_timeout_ms, limits.body_timeout_ms),
      requestTimeout: limits.body_timeout_ms,
      connectionsCheckingInterval: 1000,
    },
    onRequest,
  );
  server.on('clientError', answerClientError);
  return server;
}

// Connections waiting to be accepted. Node's default (511) overflows when thousands of streaming clients
// connect in a burst (a reconnect after a deploy, the streams bench) while the loop is busy: each dropped
// SYN is retried after 1 s, 3 s, 7 s, ... The kernel caps it at net.core.somaxconn.
const LISTEN_BACKLOG = 4096;

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting, waits for in-flight requests and streams up to the deadline, then closes every connection. */
async function drain(server: Server, live: LiveGateway, logger: Logger, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  logger.info({ inFlight: live.inFlight, timeoutMs }, 'draining: no new requests; waiting for in-flight ones');
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([live.idle().then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
  clearTimeout(timer);
  if (!finished) logger.warn({ inFlight: live.inFlight }, 'shutdown deadline passed: closing the remaining connections');
  server.closeAllConnections();
  await closed;
}
