/**
 * Session affinity: which provider served a conversation (`x-switchyard-session`), so that its next
 * turns go there first while it stays healthy. Bounded: oldest sessions are forgotten first.
 */
export class SessionAffinity {
  private readonly entries = new Map<string, { provider: string; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  get(session: string, now: number): string | undefined {
    const e = this.entries.get(session);
    if (!e) return undefined;
    if (e.until <= now) {
      this.entries.delete(session);
      return undefined;
    }
    return e.provider;
  }

  set(session: string, provider: string, now: number): void {
    this.entries.delete(session); // re-insert: Map order is the eviction order
    this.entries.set(session, { provider, until: now + this.ttlMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}
