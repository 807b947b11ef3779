/**
 * Where session pins are shared between instances (Redis). Writes are fire and forget; a read is one
 * round trip and answers undefined when the store has no pin or cannot be reached.
 */
export interface SessionMirror {
  write(session: string, provider: string, ttlMs: number): void;
  read(session: string): Promise<string | undefined>;
}

/** Longest a request waits for the shared look-up of a session this instance does not know. */
const LOOKUP_TIMEOUT_MS = 250;

/**
 * Session affinity: which provider served a conversation (`x-switchyard-session`), so that its next
 * turns go there first while it stays healthy. Bounded: oldest sessions are forgotten first. With a
 * mirror (Redis), every pin is written through and a session this instance does not know is looked up
 * there once (`resolve`), so a conversation pinned on one instance is pinned on all.
 */
export class SessionAffinity {
  private readonly entries = new Map<string, { provider: string; until: number }>();
  private mirror: SessionMirror | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  /** Shares pins through `mirror` from now on. */
  share(mirror: SessionMirror): void {
    this.mirror = mirror;
  }

  /** This instance's pin: in process, never a network wait. */
  get(session: string, now: number): string | undefined {
    const e = this.entries.get(session);
    if (!e) return undefined;
    if (e.until <= now) {
      this.entries.delete(session);
      return undefined;
    }
    return e.provider;
  }

  /**
   * The pin, looking it up in the mirror (one round trip, at most LOOKUP_TIMEOUT_MS) when this instance
   * does not know the session; what is found is kept locally, so `get` answers it from then on.
   */
  async resolve(session: string, now: number): Promise<string | undefined> {
    const local = this.get(session, now);
    if (local !== undefined || !this.mirror) return local;
    const found = await withTimeout(this.mirror.read(session), LOOKUP_TIMEOUT_MS);
    if (found !== undefined && this.get(session, now) === undefined) this.remember(session, found, now);
    return this.get(session, now);
  }

  set(session: string, provider: string, now: number): void {
    this.remember(session, provider, now);
    this.mirror?.write(session, provider, this.ttlMs);
  }

  private remember(session: string, provider: string, now: number): void {
    this.entries.delete(session); // re-insert: Map order is the eviction order
    this.entries.set(session, { provider, until: now + this.ttlMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}

function withTimeout<T>(p: Promise<T | undefined>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
