import type { ModeSwitch } from '../core/modes.js';
import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/**
 * The fleet's mode in Redis: a key holding the active mode's name (empty: none) and a channel that
 * announces each switch, so that POST /admin/mode on one instance switches every instance within
 * milliseconds; an instance that starts or reconnects reads the key, and re-reads it every
 * `sync_interval_ms` in case an announcement was missed.
 */
export class RedisModes {
  private timer?: NodeJS.Timeout;
  private modes?: ModeSwitch;
  private known: (name: string) => boolean = () => false;

  constructor(
    private readonly client: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly keys: RedisKeys,
    private readonly onError: (op: string, err: unknown) => void,
  ) {}

  /** Starts listening; switches arriving for a mode this instance's config lacks are ignored (logged by the caller's switch). */
  follow(modes: ModeSwitch, known: (name: string) => boolean): void {
    this.modes = modes;
    this.known = known;
  }

  async start(syncIntervalMs: number): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.keys.modeChannel) this.apply(message);
    });
    await this.subscriber.subscribe(this.keys.modeChannel).catch((err: unknown) => this.onError('subscribe', err));
    await this.read();
    this.timer = setInterval(() => void this.read(), syncIntervalMs);
    this.timer.unref();
  }

  /** Writes the fleet's mode and announces it; throws when Redis cannot be reached. */
  async set(mode: string | undefined): Promise<void> {
    await this.client.set(this.keys.mode, mode ?? '');
    await this.client.publish(this.keys.modeChannel, mode ?? '');
  }

  async read(): Promise<void> {
    try {
      const stored = await this.client.get(this.keys.mode);
      if (stored !== null) this.apply(stored);
    } catch (err) {
      this.onError('mode read', err);
    }
  }

  private apply(message: string): void {
    const mode = message === '' ? undefined : message;
    if (mode === undefined || this.known(mode)) this.modes?.set(mode);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
