import type { Config } from '../config/schema.js';
import { Cancel } from '../routing/cancel.js';
import type { Logger } from '../telemetry/logger.js';
import type { ProviderRuntime } from './provider-runtime.js';

/** How often upstream model lists are read again. */
const REFRESH_MS = 10 * 60_000;
const TIMEOUT_MS = 10_000;

/**
 * Every model name the gateway can serve, and which providers serve it: the names in config (`models`
 * lists, default models, aliases) and, for providers whose config lists none, the upstream's own list,
 * read in the background (at start, then every 10 minutes; never on a request's path). A provider that
 * cannot list contributes nothing.
 *
 * @example
 * const catalog = new ModelCatalog(gateway.providers, logger);
 * catalog.start();
 * catalog.entries(config, chain); // Map { 'gpt-4o' => ['openai', 'azure'], 'fast' => ['groq', 'openai'] }
 */
export class ModelCatalog {
  private readonly listed = new Map<string, readonly string[]>();
  private timer: NodeJS.Timeout | undefined;
  private readonly cancel = new Cancel();

  constructor(
    private readonly providers: ReadonlyMap<string, ProviderRuntime>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const listing = [...this.providers.values()].filter((p) => p.config.models === undefined && p.adapter.listModels !== undefined);
    if (listing.length === 0) return;
    const refresh = () => void Promise.all(listing.map((p) => this.read(p)));
    refresh();
    this.timer = setInterval(refresh, REFRESH_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.cancel.abort();
  }

  /** Model id -> the providers that serve it, in chain order; aliases after, with their targets' providers. */
  entries(config: Config, chain: readonly string[]): Map<string, string[]> {
    const byModel = new Map<string, string[]>();
    const add = (model: string, provider: string) => {
      if (model.includes('*')) return; // a pattern, not a model name
      const list = byModel.get(model) ?? [];
      if (!list.includes(provider)) list.push(provider);
      byModel.set(model, list);
    };
    for (const name of chain) {
      const p = this.providers.get(name)?.config;
      if (!p) continue;
      for (const m of [...(p.models ?? []), ...(p.default_model ? [p.default_model] : []), ...(this.listed.get(name) ?? [])]) add(m, name);
    }
    for (const [alias, targets] of Object.entries(config.models)) byModel.set(alias, [...new Set(targets.map((t) => t.provider))]);
    return byModel;
  }

  private async read(p: ProviderRuntime): Promise<void> {
    try {
      const ids = await p.adapter.listModels?.(p.keys.pick(Date.now()), this.cancel, TIMEOUT_MS);
      if (ids) this.listed.set(p.name, ids);
    } catch (err) {
      if (!this.cancel.aborted) this.logger.debug({ provider: p.name, error: (err as Error).message }, 'provider model list unavailable');
    }
  }
}
