import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, type LoadedConfig, loadConfigFile } from './config/load.js';
import { gatewayError } from './core/errors.js';
import { Gateway, type RuntimeControls } from './gateway.js';
import { createRequestListener } from './http/app.js';
import { answerClientError } from './http/client-errors.js';
import { writeError } from './http/errors.js';
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
}

/** Builds the gateway and listens. Resolves once the port is bound. */
export async function startGateway(loaded: LoadedConfig, options: StartOptions = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger(loaded.config.logging.level);
  const report = (l: LoadedConfig) => {
    for (const w of l.warnings) logger.warn({ source: l.source }, w);
    for (const n of l.notes) logger.info({ source: l.source }, n);
  };
  report(loaded);
  const gatewayOptions = { logger, ...(options.clock ? { clock: options.clock } : {}), ...(options.random ? { random: options.random } : {}) };
  const fromFile = loaded.source !== '(inline)';
  const portOverride = options.port;

  let reloading: Promise<{ ok: true } | { ok: false; error: string }> | undefined;
  const controls: RuntimeControls = {
    reload: () => (reloading ??= doReload().finally(() => (reloading = undefined))),
  };
  let active = await Gateway.create(loaded, gatewayOptions, undefined, controls);
  let listener = createRequestListener(active);
  const retiring = new Set<Gateway>();
  let draining = false;

  /** The file's text at the last load: the watch reloads only when it differs (a poll may see one write twice). */
  let lastText = fromFile ? readText(loaded.source) : undefined;

  async function doReload(): Promise<{ ok: true } | { ok: false; error: string }> {
    const at = new Date().toISOString();
    if (!fromFile) return { ok: false, error: 'the config did not come from a file' };
    lastText = readText(loaded.source);
    try {
      const next = loadConfigFile(loaded.source, portOverride === undefined ? {} : { portOverride });
      report(next);
      const gateway = await Gateway.create(next, gatewayOptions, active);
      const previous = active;
      active = gateway;
      listener = createRequestListener(gateway); // in-flight requests finish on the gateway they started on
      retiring.add(previous);
      void previous.retire().finally(() => retiring.delete(previous));
      controls.lastReload = { at, ok: true };
      gateway.metrics.configReloads.labels('success').inc();
      logger.info({ source: next.source, providers: [...gateway.chain] }, 'config reloaded');
      return { ok: true };
    } catch (err) {
      const error = err instanceof ConfigError ? err.problems.join('; ') : (err as Error).message;
      controls.lastReload = { at, ok: false, error };
      active.metrics.configReloads.labels('failure').inc();
      logger.error({ source: loaded.source, error }, 'config reload refused: the previous config keeps serving');
      return { ok: false, error };
    }
  }

  const limits = loaded.config.server;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (draining) {
      req.resume();
      active.metrics.rejected.labels('draining').inc();
      return writeError(res, gatewayError('shutting_down', 'The gateway is shutting down.'), { connection: 'close', 'retry-after': 1 });
    }
    listener(req, res);
  };
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
  const host = options.host ?? loaded.config.server.host;
  const port = options.port ?? loaded.config.server.port;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  logger.info({ host, port: bound, providers: [...active.chain], strategy: loaded.config.routing.strategy }, 'switchyard listening');

  const watching = (options.watch ?? fromFile) && fromFile;
  if (watching) {
    watchFile(loaded.source, { interval: 500, persistent: false }, (cur, prev) => {
      if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) return;
      if (readText(loaded.source) !== lastText) void controls.reload();
    });
  }

  let stopped: Promise<void> | undefined;
  const shutdown = (timeoutMs = active.config.server.shutdown_timeout_seconds * 1000): Promise<void> =>
    (stopped ??= (async () => {
      draining = true;
      if (watching) unwatchFile(loaded.source);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const inFlight = active.inFlight + [...retiring].reduce((n, g) => n + g.inFlight, 0);
      logger.info({ inFlight, timeoutMs }, 'draining: no new requests; waiting for in-flight ones');
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        Promise.all([active.idle(), ...[...retiring].map((g) => g.idle())]).then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (!finished) logger.warn({ inFlight: active.inFlight }, 'shutdown deadline passed: closing the remaining connections');
      server.closeAllConnections();
      await closed;
      await active.close();
      logger.info('stopped');
      logger.flush();
    })());

  return {
    get gateway() {
      return active;
    },
    server,
    port: bound,
    url: `http://${shownHost}:${bound}`,
    reload: () => controls.reload(),
    shutdown,
    close: () => shutdown(0),
  };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
