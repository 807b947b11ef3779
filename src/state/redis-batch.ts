import type { RedisClient } from './redis-connection.js';

type Reply = [Error | null, unknown];
type Arg = string | number;

/**
 * A batch of commands sent together: a pipeline on a single server (one round trip), and on a Cluster
 * the same commands sent one by one, which the client auto-pipelines per node (a Cluster pipeline may
 * only touch one slot). Replies come back in order as [error, value].
 */
export class Batch {
  private readonly calls: Array<{ name: string; args: Arg[] }> = [];

  constructor(private readonly client: RedisClient) {}

  hincrby(key: string, field: string, by: number): this {
    return this.add('hincrby', key, field, by);
  }
  hincrbyfloat(key: string, field: string, by: number): this {
    return this.add('hincrbyfloat', key, field, by);
  }
  pexpire(key: string, ms: number): this {
    return this.add('pexpire', key, ms);
  }
  expire(key: string, s: number): this {
    return this.add('expire', key, s);
  }
  sadd(key: string, ...members: string[]): this {
    return this.add('sadd', key, ...members);
  }
  zadd(key: string, score: number, member: string): this {
    return this.add('zadd', key, score, member);
  }
  hgetall(key: string): this {
    return this.add('hgetall', key);
  }
  smembers(key: string): this {
    return this.add('smembers', key);
  }

  async exec(): Promise<Reply[]> {
    const invoke = (target: object, name: string, args: Arg[]): unknown => (target as Record<string, (...a: Arg[]) => unknown>)[name]!.apply(target, args);
    if (this.client.isCluster) {
      const client = this.client;
      return Promise.all(
        this.calls.map(({ name, args }) =>
          (invoke(client, name, args) as Promise<unknown>).then(
            (v): Reply => [null, v],
            (e: unknown): Reply => [e as Error, null],
          ),
        ),
      );
    }
    const p = this.client.pipeline();
    for (const { name, args } of this.calls) invoke(p, name, args);
    return ((await p.exec()) ?? []) as Reply[];
  }

  private add(name: string, ...args: Arg[]): this {
    this.calls.push({ name, args });
    return this;
  }
}
