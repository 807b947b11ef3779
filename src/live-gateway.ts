import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigError, type LoadedConfig, loadConfigFile } from './config/load.js';
import { Gateway, type GatewayOptions, type RuntimeControls } from './gateway.js';
import { createRequestListener } from './http/app.js';
import type { Logger } from './telemetry/logger.js';

export type ReloadResult = { ok: true } | { ok: false; error: string };

/**
 * The gateway that serves new requests, swapped atomically when the config is reloaded (file watch,
 * SIGHUP, POST /admin/reload). A new config is validated in full first; an invalid one is refused and
 * the current one keeps serving. Requests in flight finish on the gateway they started on, which is
 * retired once idle.
 *
 * @example
 * const live = await LiveGateway.start(loaded, { logger }, { watch: true });
 * server.on('request', (req, res) => live.handle(req, res));
 * await live.reload(); // { ok: true } or { ok: false, error }
 */
export class LiveGateway {
  private listener: (req: IncomingMessage, res: ServerResponse) => void;
  private readonly retiring = new Set<Gateway>();
  private reloading: Promise<ReloadResult> | undefined;
  /** The file's text at the last load: the watch reloads only when it differs (a poll may see one write twice). */
  private lastText: string | undefined;
  private watching = false;

  private constructor(
    private current: Gateway,
    private readonly loaded: LoadedConfig,
    private readonly options: GatewayOptions,
    private readonly controls: RuntimeControls,
    private readonly portOverride: number | undefined,
  ) {
    this.listener = createRequestListener(current);
    this.lastText = this.fromFile ? readText(loaded.source) : undefined;
  }

  static async start(loaded: LoadedConfig, options: GatewayOptions, portOverride?: number): Promise<LiveGateway> {
    let live: LiveGateway | undefined;
    const controls: RuntimeControls = { reload: () => (live ? live.reload() : Promise.resolve({ ok: false, error: 'not started' })) };
    const gateway = await Gateway.create(loaded, options, undefined, controls);
    live = new LiveGateway(gateway, loaded, options, controls, portOverride);
    return live;
  }

  get active(): Gateway {
    return this.current;
  }

  private get fromFile(): boolean {
    return this.loaded.source !== '(inline)';
  }

  private get logger(): Logger {
    return this.options.logger;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.listener(req, res);
  }

  /** Requests in flight on the active gateway and on those being retired. */
  get inFlight(): number {
    return this.current.inFlight + [...this.retiring].reduce((n, g) => n + g.inFlight, 0);
  }

  /** Resolves once nothing is in flight anywhere. */
  async idle(): Promise<void> {
    await Promise.all([this.current.idle(), ...[...this.retiring].map((g) => g.idle())]);
  }

  /** Re-reads the config file; concurrent calls share one reload. */
  reload(): Promise<ReloadResult> {
    this.reloading ??= this.swap().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  /** Reloads when the file's text changes (polled every 500 ms; no-op for an inline config). */
  watch(): void {
    if (!this.fromFile) return;
    this.watching = true;
    watchFile(this.loaded.source, { interval: 500, persistent: false }, (cur, prev) => {
      if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size) return;
      if (readText(this.loaded.source) !== this.lastText) void this.reload();
    });
  }

  unwatch(): void {
    if (this.watching) unwatchFile(this.loaded.source);
    this.watching = false;
  }

  private async swap(): Promise<ReloadResult> {
    const at = new Date().toISOString();
    if (!this.fromFile) return { ok: false, error: 'the config did not come from a file' };
    this.lastText = readText(this.loaded.source);
    try {
      const next = loadConfigFile(this.loaded.source, this.portOverride === undefined ? {} : { portOverride: this.portOverride });
      reportLoad(this.logger, next);
      const gateway = await Gateway.create(next, this.options, this.current);
      const previous = this.current;
      this.current = gateway;
      this.listener = createRequestListener(gateway); // in-flight requests finish on the gateway they started on
      this.retiring.add(previous);
      void previous.retire().finally(() => this.retiring.delete(previous));
      this.controls.lastReload = { at, ok: true };
      gateway.metrics.configReloads.labels('success').inc();
      this.logger.info({ source: next.source, providers: [...gateway.chain] }, 'config reloaded');
      return { ok: true };
    } catch (err) {
      const error = err instanceof ConfigError ? err.problems.join('; ') : (err as Error).message;
      this.controls.lastReload = { at, ok: false, error };
      this.current.metrics.configReloads.labels('failure').inc();
      this.logger.error({ source: this.loaded.source, error }, 'config reload refused: the previous config keeps serving');
      return { ok: false, error };
    }
  }
}

/** A loaded config's warnings and notes, as log lines. */
export function reportLoad(logger: Logger, l: LoadedConfig): void {
  for (const w of l.warnings) logger.warn({ source: l.source }, w);
  for (const n of l.notes) logger.info({ source: l.source }, n);
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
