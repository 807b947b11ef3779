import { describe, expect, it } from 'vitest';
import { classifyFailure, describeFailure, failureFromError, parseRetryAfter } from '../../src/routing/classify.js';

describe('outcome classification', () => {
  it.each([
    [408, true, 'failure'],
    [429, true, 'failure'],
    [500, true, 'failure'],
    [502, true, 'failure'],
    [503, true, 'failure'],
    [504, true, 'failure'],
    [529, true, 'failure'],
    [401, true, 'failure'],
    [403, true, 'failure'],
    [404, true, 'neutral'],
    [400, false, 'neutral'],
    [413, false, 'neutral'],
    [422, false, 'neutral'],
  ])('HTTP %i: failover %s, breaker %s', (status, failover, breaker) => {
    expect(classifyFailure({ kind: 'status', status })).toEqual({ failover, breaker });
  });

  it('fails over and counts transport failures', () => {
    for (const kind of ['connect', 'reset', 'tls', 'timeout', 'malformed'] as const) {
      expect(classifyFailure({ kind, detail: 'x' })).toEqual({ failover: true, breaker: 'failure' });
    }
  });

  it('maps network error codes', () => {
    expect(failureFromError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toEqual({ kind: 'connect', detail: 'ECONNREFUSED' });
    expect(failureFromError({ cause: { code: 'ENOTFOUND' } })).toEqual({ kind: 'connect', detail: 'ENOTFOUND' });
    expect(failureFromError(Object.assign(new Error('x'), { code: 'EPIPE' })).kind).toBe('reset');
    expect(failureFromError(Object.assign(new Error('x'), { code: 'UPSTREAM_IDLE_TIMEOUT' })).kind).toBe('timeout');
  });

  it('reports TLS and certificate errors as what they are, with what to set', () => {
    const tlsError = (code: string, message = 'x') => failureFromError(Object.assign(new Error(message), { code }));
    expect(describeFailure(tlsError('UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'))).toBe(
      'TLS error: certificate signed by an unknown authority (UNABLE_TO_VERIFY_LEAF_SIGNATURE); set providers[].tls.ca_file or NODE_EXTRA_CA_CERTS',
    );
    for (const code of ['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']) {
      expect(tlsError(code)).toEqual({ kind: 'tls', detail: expect.stringMatching(new RegExp(`\\(${code}\\); set providers\\[\\]\\.tls\\.ca_file`)) });
    }
    expect(describeFailure(tlsError('CERT_HAS_EXPIRED'))).toBe('TLS error: certificate has expired (CERT_HAS_EXPIRED)');
    expect(describeFailure(tlsError('ERR_TLS_CERT_ALTNAME_INVALID'))).toMatch(/^TLS error: certificate does not match the host name \(ERR_TLS_CERT_ALTNAME_INVALID\); .*tls\.servername/);
    const alert = '80DC81F7F97F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116';
    expect(describeFailure(tlsError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', alert))).toBe(
      'TLS error: tlsv13 alert certificate required (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED); the server may require a client certificate: set providers[].tls.cert_file and key_file',
    );
    expect(describeFailure(tlsError('ERR_SSL_WRONG_VERSION_NUMBER', 'C0:error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:354:'))).toMatch(
      /^TLS error: wrong version number \(ERR_SSL_WRONG_VERSION_NUMBER\); is the upstream speaking plain HTTP/,
    );
    expect(tlsError('EPROTO', 'write EPROTO 40:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:ssl/record/rec_layer_s3.c:1584').kind).toBe('tls');
    expect(failureFromError({ cause: { code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' } }).kind).toBe('tls');
    // Not TLS: an EPROTO without OpenSSL text, and a plain reset, stay what they were.
    expect(tlsError('EPROTO', 'protocol error').kind).toBe('reset');
    expect(tlsError('ECONNRESET', 'socket hang up')).toEqual({ kind: 'reset', detail: 'ECONNRESET' });
    expect(classifyFailure(tlsError('CERT_HAS_EXPIRED'))).toEqual({ failover: true, breaker: 'failure' });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
