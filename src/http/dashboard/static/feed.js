// The live routing feed: GET /admin/events read with fetch() (EventSource cannot send the Authorization header).
import { clock } from './format.js';

const MAX_ITEMS = 100;

/** One event as a line a person reads. */
export function describe(e) {
  if (e.type === 'breaker') return `${e.provider}: ${e.from.replace('_', '-')} → ${e.to.replace('_', '-')}`;
  if (e.type === 'failover') return `${e.from} → ${e.to ?? 'no provider left'} (${e.reason})`;
  return JSON.stringify(e);
}

function show(list, e) {
  const item = document.createElement('li');
  item.className = e.type === 'breaker' ? e.to : 'failover';
  const time = document.createElement('time');
  time.textContent = clock(e.at);
  const kind = document.createElement('span');
  kind.className = 'kind';
  kind.textContent = e.type;
  const text = document.createElement('span');
  text.textContent = describe(e);
  item.append(time, kind, text);
  list.prepend(item);
  while (list.children.length > MAX_ITEMS) list.lastElementChild.remove();
}

/** Parses whole server-sent events out of `buffer`; answers the rest. */
function frames(buffer, onEvent) {
  let at = buffer.indexOf('\n\n');
  while (at >= 0) {
    const data = /^data: (.*)$/m.exec(buffer.slice(0, at));
    if (data) onEvent(JSON.parse(data[1]));
    buffer = buffer.slice(at + 2);
    at = buffer.indexOf('\n\n');
  }
  return buffer;
}

/**
 * Follows the feed until `signal` aborts; reconnects after a drop. `onEvent` is told of each event
 * (after it is shown), so the page can refresh the figures at once.
 */
export async function followEvents(headers, signal, onEvent) {
  const list = document.getElementById('events');
  const state = document.getElementById('feed-state');
  while (!signal.aborted) {
    try {
      const res = await fetch('/admin/events?types=failover,breaker', { headers, signal });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      state.textContent = 'live';
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer = frames(buffer + decoder.decode(value, { stream: true }), (e) => {
          show(list, e);
          onEvent(e);
        });
      }
    } catch {
      if (signal.aborted) return;
    }
    state.textContent = 'reconnecting';
    await new Promise((r) => setTimeout(r, 2000));
  }
}
