import type { SessionMirror } from '../routing/sessions.js';
import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** Session pins in Redis: one string per session (the provider), expiring with the session TTL. */
export class RedisSessions implements SessionMirror {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly onError: (op: string, err: unknown) => void,
  ) {}

  write(session: string, provider: string, ttlMs: number): void {
    this.client.set(this.keys.session(session), provider, 'PX', Math.max(1, Math.round(ttlMs))).catch((err: unknown) => this.onError('session', err));
  }

  async read(session: string): Promise<string | undefined> {
    try {
      return (await this.client.get(this.keys.session(session))) ?? undefined;
    } catch (err) {
      this.onError('session', err);
      return undefined;
    }
  }
}
