import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TLSSocket } from 'node:tls';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-upstream-tls-'));
const pem = (name: string) => join(dir, name);
const hi = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

/** A private CA, a server certificate for 127.0.0.1/localhost and a client certificate, both signed by it. */
function makeCertificates(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
  const openssl = (...args: string[]) => execFileSync('/usr/bin/openssl', args, { stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    pem('ca-key.pem'),
    '-out',
    pem('ca.pem'),
    '-subj',
    '/CN=switchyard test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  const signed = (name: string, cn: string, ...ext: string[]) =>
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      pem(`${name}-key.pem`),
      '-out',
      pem(`${name}.pem`),
      '-subj',
      `/CN=${cn}`,
      '-CA',
      pem('ca.pem'),
      '-CAkey',
      pem('ca-key.pem'),
      '-addext',
      'basicConstraints=CA:FALSE',
      ...ext.flatMap((e) => ['-addext', e]),
    );
  signed('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=serverAuth');
  signed('client', 'switchyard client', 'extendedKeyUsage=clientAuth');
}

/** An OpenAI-compatible upstream over HTTPS; with `mutual`, it requires a client certificate from the CA. */
class TlsUpstream {
  /** Client certificate subjects (CN) of the requests answered; '' when none was sent. */
  readonly answered: string[] = [];
  private constructor(private readonly server: Server) {}

  static async start(mutual: boolean): Promise<TlsUpstream> {
    const server = createServer({
      key: readFileSync(pem('server-key.pem')),
      cert: readFileSync(pem('server.pem')),
      ...(mutual ? { ca: readFileSync(pem('ca.pem')), requestCert: true, rejectUnauthorized: true } : {}),
    });
    const upstream = new TlsUpstream(server);
    server.on('request', (req, res) => {
      req.resume();
      req.once('end', () => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        // The gateway's background model-list read is not a request under test.
        if (req.method === 'POST') upstream.answered.push(typeof peer?.subject?.CN === 'string' ? peer.subject.CN : '');
        const body = {
          id: 'chatcmpl-tls',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content: 'hello over TLS' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 },
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return upstream;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const provider = (name: string, url: string, tls?: string) => `  - name: ${name}\n    type: openai_compatible\n    base_url: ${url}\n    api_key: sk-${name}\n${tls ? `    tls: ${tls}\n` : ''}`;

/** The API error a request ends in (the SDK raises one per status). */
async function failureOf(gw: TestGateway): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err: unknown = await gw
    .client()
    .chat.completions.create(hi)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

describe('upstream TLS', () => {
  let server: TlsUpstream;
  let mutual: TlsUpstream;
  const gateways: TestGateway[] = [];
  const gateway = async (yaml: string) => {
    const gw = await startTestGateway(yaml);
    gateways.push(gw);
    return gw;
  };

  beforeAll(async () => {
    makeCertificates();
    server = await TlsUpstream.start(false);
    mutual = await TlsUpstream.start(true);
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await server.close();
    await mutual.close();
  });

  it('says "TLS error" and what to set when the provider\'s CA is not trusted (not "connection reset")', async () => {
    const gw = await gateway(`providers:\n${provider('private', server.url)}`);
    const err = await failureOf(gw);
    expect(err.status).toBe(502);
    expect(err.message).toContain('private (m): TLS error: certificate signed by an unknown authority (UNABLE_TO_VERIFY_LEAF_SIGNATURE); set providers[].tls.ca_file or NODE_EXTRA_CA_CERTS');
    expect(err.message).not.toMatch(/reset/i);
    expect(server.answered).toEqual([]);
  });

  it('fails over from an untrusted provider and counts the failure against its breaker', async () => {
    const gw = await gateway(`providers:\n${provider('untrusted', server.url)}${provider('trusted', server.url, `{ ca_file: ${pem('ca.pem')} }`)}circuit_breaker: { failure_threshold: 1 }\n`);
    const { data, response } = await gw.client().chat.completions.create(hi).withResponse();
    expect(data.choices[0]?.message.content).toBe('hello over TLS');
    expect(response.headers.get('x-switchyard-provider')).toBe('trusted');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    const health = (await (await fetch(`${gw.url}/health`)).json()) as { providers: Record<string, { circuit: string }> };
    expect(health.providers.untrusted?.circuit).toBe('open');
    expect(health.providers.trusted?.circuit).toBe('closed');
  });

  it('reaches a provider behind a private CA with tls.ca_file', async () => {
    const gw = await gateway(`providers:\n${provider('private', server.url, `{ ca_file: ${pem('ca.pem')} }`)}`);
    const { data, response } = await gw.client().chat.completions.create(hi).withResponse();
    expect(data.choices[0]?.message.content).toBe('hello over TLS');
    expect(response.headers.get('x-switchyard-provider')).toBe('private');
  });

  it('checks the certificate against tls.servername when set', async () => {
    const named = await gateway(`providers:\n${provider('named', server.url, `{ ca_file: ${pem('ca.pem')}, servername: localhost }`)}`);
    expect((await named.client().chat.completions.create(hi)).choices[0]?.message.content).toBe('hello over TLS');
    const misnamed = await gateway(`providers:\n${provider('misnamed', server.url, `{ ca_file: ${pem('ca.pem')}, servername: elsewhere.example }`)}`);
    const err = await failureOf(misnamed);
    expect(err.status).toBe(502);
    expect(err.message).toContain('misnamed (m): TLS error: certificate does not match the host name (ERR_TLS_CERT_ALTNAME_INVALID)');
  });

  it('with mutual TLS required, succeeds only with cert_file and key_file', async () => {
    const without = await gateway(`providers:\n${provider('mtls', mutual.url, `{ ca_file: ${pem('ca.pem')} }`)}`);
    const err = await failureOf(without);
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/mtls \(m\): TLS error: .*client certificate: set providers\[\]\.tls\.cert_file and key_file/);
    expect(mutual.answered).toEqual([]);

    const withCert = await gateway(`providers:\n${provider('mtls', mutual.url, `{ ca_file: ${pem('ca.pem')}, cert_file: ${pem('client.pem')}, key_file: ${pem('client-key.pem')} }`)}`);
    const { data } = await withCert.client().chat.completions.create(hi).withResponse();
    expect(data.choices[0]?.message.content).toBe('hello over TLS');
    expect(mutual.answered).toEqual(['switchyard client']);
  });

  it('trusts the CA through NODE_EXTRA_CA_CERTS too, with no tls options (the built CLI)', async () => {
    const file = join(dir, 'extra-ca.yaml');
    writeFileSync(file, `providers:\n${provider('private', server.url)}`);
    const child = spawn(process.execPath, [join(process.cwd(), 'dist/src/cli.js'), 'serve', '--config', file, '--port', '0'], {
      env: { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: pem('ca.pem') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      // The start-up log line says which port was bound.
      let port: number | undefined;
      for await (const line of createInterface({ input: child.stdout })) {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'switchyard listening') {
          port = entry.port;
          break;
        }
      }
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'x', maxRetries: 0 });
      const data = await client.chat.completions.create(hi);
      expect(data.choices[0]?.message.content).toBe('hello over TLS');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
