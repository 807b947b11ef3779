import type { Logger } from '../telemetry/logger.js';

/** A Statuspage `status.indicator`; `unknown` when the page could not be read or is not that JSON. */
export type StatusIndicator = 'none' | 'minor' | 'major' | 'critical' | 'maintenance' | 'unknown';

const KNOWN = new Set(['none', 'minor', 'major', 'critical', 'maintenance']);

/** Reads the indicator out of a Statuspage-style `status.json` body. */
export function indicatorOf(body: unknown): StatusIndicator {
  const v = (body as { status?: { indicator?: unknown } } | null)?.status?.indicator;
  return typeof v === 'string' && KNOWN.has(v) ? (v as StatusIndicator) : 'unknown';
}

/** A reported outage that should move a provider back: major or critical. */
export const isOutage = (i: StatusIndicator | undefined): boolean => i === 'major' || i === 'critical';

/**
 * Polls each provider's public status page in the background (never on the request path) and keeps
 * the last indicator. An unreadable page means `unknown`, never an outage.
 */
export class StatusPages {
  private readonly indicators = new Map<string, StatusIndicator>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly pages: ReadonlyMap<string, string>,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.pages.size === 0) return;
    void this.pollAll();
    this.timer = setInterval(() => void this.pollAll(), this.intervalMs);
    this.timer.unref();
  }

  get(provider: string): StatusIndicator | undefined {
    return this.indicators.get(provider);
  }

  async pollAll(): Promise<void> {
    await Promise.all([...this.pages].map(([provider, url]) => this.poll(provider, url)));
  }

  private async poll(provider: string, url: string): Promise<void> {
    let next: StatusIndicator = 'unknown';
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs), headers: { accept: 'application/json' } });
      if (res.ok) next = indicatorOf(await res.json().catch(() => null));
    } catch {
      next = 'unknown';
    }
    const previous = this.indicators.get(provider);
    this.indicators.set(provider, next);
    if (previous !== next && (isOutage(next) || isOutage(previous))) {
      this.logger.warn({ provider, status_page: next, previous }, isOutage(next) ? 'status page reports an outage' : 'status page outage over');
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
