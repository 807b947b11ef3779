import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { openAIError } from '../../src/providers/sdk-clients/openai-client.js';
import { classifySdkError, headerRecord, type SdkFailure, sdkErrorClasses, transportError } from '../../src/providers/sdk-clients/sdk-errors.js';
import { classifyFailure, failureFromError, type UpstreamFailure } from '../../src/routing/classify.js';

const openai = sdkErrorClasses(new OpenAI({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:9/v1' }));
const anthropic = sdkErrorClasses(new Anthropic({ apiKey: 'sk-ant-test', baseURL: 'http://127.0.0.1:9' }));

/** What the attempt loop makes of a failure: fail over or answer, and the breaker outcome. */
function verdict(f: SdkFailure) {
  const failure: UpstreamFailure = f.kind === 'status' ? { kind: 'status', status: f.status } : failureFromError(transportError(f as Exclude<SdkFailure, { kind: 'status' | 'event' }>));
  return { failure: failure.kind, ...classifyFailure(failure) };
}

describe('SDK errors in switchyard’s terms', () => {
  it('takes the error classes from the client’s constructor', () => {
    expect(openai.APIError).toBe(OpenAI.APIError);
    expect(openai.APIConnectionTimeoutError).toBe(OpenAI.APIConnectionTimeoutError);
    expect(anthropic.APIUserAbortError).toBe(Anthropic.APIUserAbortError);
    expect(sdkErrorClasses(Object.create(null) as object)).toEqual({});
  });

  it.each([
    [408, true],
    [429, true],
    [500, true],
    [503, true],
    [529, true],
    [400, false],
    [422, false],
  ])('an OpenAI status error %i: fails over %s, like switchyard’s own upstream answer', (status, failover) => {
    const headers = new Headers({ 'retry-after': '2', 'x-ratelimit-remaining-requests': '0' });
    const err = OpenAI.APIError.generate(status, { error: { message: 'nope', type: 'x', param: null, code: 'c' } }, undefined, headers);
    const f = classifySdkError(err, openai);
    expect(f).toEqual({ kind: 'status', status, body: { message: 'nope', type: 'x', param: null, code: 'c' }, headers: { 'retry-after': '2', 'x-ratelimit-remaining-requests': '0' } });
    expect(verdict(f)).toEqual({ failure: 'status', failover, breaker: failover ? 'failure' : 'neutral' });
  });

  it('an Anthropic status error keeps the whole error body (its translator reads the envelope)', () => {
    const body = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    const f = classifySdkError(Anthropic.APIError.generate(529, body, undefined, new Headers()), anthropic);
    expect(f).toMatchObject({ kind: 'status', status: 529, body });
    expect(verdict(f)).toMatchObject({ failover: true, breaker: 'failure' });
  });

  it('a connection error is a connection failure with the socket’s code from the cause chain', () => {
    const cause = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    const f = classifySdkError(new OpenAI.APIConnectionError({ cause }), openai);
    expect(f).toEqual({ kind: 'connection', code: 'ECONNREFUSED' });
    expect(verdict(f)).toEqual({ failure: 'connect', failover: true, breaker: 'failure' });
    expect(classifySdkError(new Anthropic.APIConnectionError({}), anthropic)).toEqual({ kind: 'connection', code: 'APIConnectionError' });
  });

  it('a timeout is a timeout (not a plain connection error, though it is one to the SDK)', () => {
    const f = classifySdkError(new Anthropic.APIConnectionTimeoutError(), anthropic);
    expect(f).toEqual({ kind: 'timeout' });
    expect(verdict(f)).toEqual({ failure: 'timeout', failover: true, breaker: 'failure' });
  });

  it('an abort is an abort', () => {
    expect(classifySdkError(new OpenAI.APIUserAbortError(), openai)).toEqual({ kind: 'aborted' });
    expect(transportError({ kind: 'aborted' }).code).toBe('ABORTED');
  });

  it('an error event in a stream (no status) gives its body', () => {
    const body = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } };
    expect(classifySdkError(new Anthropic.APIError(undefined, body, undefined, undefined), anthropic)).toEqual({ kind: 'event', body });
  });

  it('a body cut mid-read counts as a cut connection; anything else is kept as it was thrown', () => {
    const cut = Object.assign(new TypeError('terminated'), { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
    expect(classifySdkError(cut, openai)).toEqual({ kind: 'connection', code: 'UND_ERR_SOCKET' });
    const bug = new SyntaxError('Unexpected token');
    const f = classifySdkError(bug, openai);
    expect(f).toEqual({ kind: 'other', error: bug });
    expect(transportError(f as { kind: 'other'; error: unknown })).toMatchObject({ code: 'SyntaxError', message: 'the client failed' });
  });

  it('reads errors by their shape when the client’s constructor has no classes', () => {
    expect(classifySdkError(Object.assign(new Error('x'), { status: 503, error: { message: 'down' } }), {})).toMatchObject({ kind: 'status', status: 503 });
    expect(classifySdkError(new OpenAI.APIConnectionTimeoutError(), {})).toEqual({ kind: 'timeout' });
    expect(classifySdkError('a string', {})).toEqual({ kind: 'other', error: 'a string' });
  });

  it('turns an OpenAI error answer into the envelope with its status, filling what the SDK had not', () => {
    expect(openAIError({ kind: 'status', status: 429, body: { message: 'slow down', code: 'rate_limit_exceeded' }, headers: {} })).toEqual({
      status: 429,
      body: { error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } },
    });
    expect(openAIError({ kind: 'status', status: 502, body: undefined, headers: {} }).body.error).toEqual({
      message: 'The provider answered HTTP 502.',
      type: 'server_error',
      param: null,
      code: null,
    });
  });

  it('reads headers from anything with forEach', () => {
    expect(headerRecord(new Headers({ 'Retry-After': '3' }))).toEqual({ 'retry-after': '3' });
    expect(headerRecord(undefined)).toEqual({});
  });
});
