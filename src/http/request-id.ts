import { randomHex } from '../providers/random-hex.js';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fresh ids: 96 random bits drawn once per 2^32 ids, then a counter. As unique across a fleet as a
 * random UUID per request (instances draw their own prefixes), at a fraction of the cost: randomUUID
 * and its formatting were about 7 us of every request's CPU.
 */
class RequestIds {
  private prefix = '';
  private counter = 0x1_0000_0000;

  next(): string {
    if (this.counter > 0xffff_ffff) {
      this.prefix = randomHex(12);
      this.counter = 0;
    }
    const n = this.counter++;
    return `req_${this.prefix}${(0x1_0000_0000 + n).toString(16).slice(1)}`;
  }
}

const ids = new RequestIds();

/**
 * The caller's x-request-id when it is a sane token, otherwise a fresh one (`req_` and 32 hex digits).
 *
 * @example
 * requestIdFrom('trace-42'); // 'trace-42'
 * requestIdFrom(undefined);  // 'req_6f1c…' (fresh)
 */
export function requestIdFrom(header: string | undefined): string {
  return header && SAFE_ID.test(header) ? header : ids.next();
}
