import { randomFillSync } from 'node:crypto';

/** Random bytes drawn from the CSPRNG 4 KiB at a time: one call into OpenSSL per hundred ids, not one per id. */
const pool = Buffer.allocUnsafe(4096);
let used = pool.length;

/**
 * `bytes` random bytes as hex, from the system's CSPRNG (ids that must not be guessed: stored
 * responses are fetched by theirs). A `randomBytes` call per id cost several µs of every Responses
 * request; this takes them from a pooled buffer, as Node's own `randomUUID` does.
 *
 * @example
 * randomHex(24); // '67cb71b351908190a308f3859487620d06981a8637e6bc44'
 */
export function randomHex(bytes: number): string {
  if (bytes > pool.length) throw new RangeError(`randomHex draws at most ${pool.length} bytes`);
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}
