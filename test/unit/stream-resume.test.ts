import { describe, expect, it } from 'vitest';
import { EventNumbering, eventsAfter, resumed } from '../../src/core/stream-resume.js';

describe('stream resume', () => {
  it('numbers events in order across writes, whatever their line endings', () => {
    const ids = new EventNumbering();
    expect(ids.number(Buffer.from('data: a\n\ndata: b\n\n')).toString()).toBe('id: 1\ndata: a\n\nid: 2\ndata: b\n\n');
    expect(ids.number(Buffer.from('data: c\r\n\r\n')).toString()).toBe('id: 3\ndata: c\r\n\r\n');
  });

  it('gives the events after Last-Event-ID, or all of them for an id it does not know', () => {
    const body = 'id: 1\ndata: a\n\nid: 2\ndata: b\r\n\r\nid: 3\ndata: [DONE]\n\n';
    expect(eventsAfter(body, '1')).toBe('id: 2\ndata: b\r\n\r\nid: 3\ndata: [DONE]\n\n');
    expect(eventsAfter(body, '3')).toBe('');
    expect(eventsAfter(body, '9')).toBe(body);
  });

  it('resumes streams only; a JSON answer is replayed whole', () => {
    const stream = { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, body: 'id: 1\ndata: a\n\nid: 2\ndata: b\n\n', fingerprint: 'f' };
    expect(resumed(stream, '1').body).toBe('id: 2\ndata: b\n\n');
    expect(resumed(stream, undefined)).toBe(stream);
    const json = { ...stream, headers: { 'content-type': 'application/json' }, body: '{}' };
    expect(resumed(json, '1')).toBe(json);
  });
});
