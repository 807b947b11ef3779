/**
 * Stream resume, the pure parts: numbering a stream's events (`id: <n>`) so that a client can say
 * where it lost the stream (`Last-Event-ID`), and the rest of a stored stream after that event.
 */

import { SseFramer } from '../providers/sse-framer.js';
import type { StoredAnswer } from '../state/idempotency-store.js';

const EMPTY = Buffer.alloc(0);

/**
 * Numbers events as they go out: each whole event gets an `id:` line with the next number.
 *
 * @example
 * const ids = new EventNumbering();
 * ids.number(Buffer.from('data: a\n\ndata: b\n\n')).toString(); // 'id: 1\ndata: a\n\nid: 2\ndata: b\n\n'
 */
export class EventNumbering {
  private next = 1;
  private readonly framer = new SseFramer();

  number(bytes: Buffer): Buffer {
    const out: Buffer[] = [];
    this.framer.push(
      bytes,
      (buf, start, end) => {
        out.push(Buffer.from(`id: ${this.next++}\n`), buf.subarray(start, end));
        return EMPTY;
      },
      () => true,
    );
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }
}

/**
 * The events of a stored stream after the one with id `lastEventId` (all of them when no event has
 * that id, so a client that names an unknown id gets the whole answer rather than a hole).
 *
 * @example
 * eventsAfter('id: 1\ndata: a\n\nid: 2\ndata: b\n\n', '1'); // 'id: 2\ndata: b\n\n'
 */
export function eventsAfter(body: string, lastEventId: string): string {
  const events = body.split(/(?<=\r?\n\r?\n)/);
  const at = events.findIndex((e) => e.startsWith(`id: ${lastEventId}\n`));
  return at < 0 ? body : events.slice(at + 1).join('');
}

/**
 * A stored answer as a resuming client gets it: a stream's events after `lastEventId`; anything else as stored.
 *
 * @example
 * resumed(answer, req.headers['last-event-id']);
 */
export function resumed(answer: StoredAnswer, lastEventId: string | undefined): StoredAnswer {
  if (lastEventId === undefined || !/^text\/event-stream/i.test(answer.headers['content-type'] ?? '')) return answer;
  return { ...answer, body: eventsAfter(answer.body, lastEventId.trim()) };
}
