import type { ProviderConfig } from '../config/schema.js';
import type { Price } from '../routing/strategy.js';

/**
 * USD per million tokens per provider and model: from config at start; with Redis, operators may
 * update it there and every instance picks the change up.
 */
export class PriceTable {
  private readonly prices = new Map<string, Price>();

  constructor(providers: readonly ProviderConfig[]) {
    this.load(providers);
  }

  /** Config prices (on start and on reload; they replace what the table had for those entries). */
  load(providers: readonly ProviderConfig[]): void {
    for (const p of providers) for (const [model, price] of Object.entries(p.pricing ?? {})) this.set(p.name, model, price);
  }

  get(provider: string, model: string): Price | undefined {
    return this.prices.get(`${provider}/${model}`);
  }

  set(provider: string, model: string, price: Price): void {
    this.prices.set(`${provider}/${model}`, price);
  }

  /** Entries keyed `provider/model`. */
  entries(): IterableIterator<[string, Price]> {
    return this.prices.entries();
  }
}
