import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { UpstreamTls } from '../providers/http-client.js';
import type { UpstreamTlsConfig } from './schema.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Reads a provider's TLS files (paths relative to `baseDir`) and checks that they can be used, so that a
 * wrong path or a key that does not match its certificate is a config error naming the key, not a
 * handshake failure on the first request. `at` is the key path of the `tls` section.
 */
export function readUpstreamTls(cfg: UpstreamTlsConfig, baseDir: string, at: string): { tls?: UpstreamTls; problems: string[] } {
  const problems: string[] = [];
  const read = (key: 'ca_file' | 'cert_file' | 'key_file'): Buffer | undefined => {
    const name = cfg[key];
    if (name === undefined) return undefined;
    const file = isAbsolute(name) ? name : resolve(baseDir, name);
    try {
      return readFileSync(file);
    } catch (err) {
      problems.push(`${at}.${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return undefined;
    }
  };
  const ca = read('ca_file');
  const cert = read('cert_file');
  const key = read('key_file');
  if (problems.length > 0) return { problems };

  if (ca) {
    const problem = certificatesProblem(ca);
    if (problem) problems.push(`${at}.ca_file: ${problem}`);
  }
  if (cert && key) {
    const certProblem = certificatesProblem(cert);
    const keyProblem = certProblem ? undefined : clientKeyProblem(cert, key);
    if (certProblem) problems.push(`${at}.cert_file: ${certProblem}`);
    if (keyProblem) problems.push(`${at}.key_file: ${keyProblem}`);
  }
  if (problems.length > 0) return { problems };
  return {
    tls: {
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      rejectUnauthorized: cfg.reject_unauthorized,
      ...(cfg.servername ? { servername: cfg.servername } : {}),
    },
    problems,
  };
}

/** Why a PEM file's certificates cannot be used (Node would silently ignore an unreadable CA file). */
function certificatesProblem(pem: Buffer): string | undefined {
  const blocks = pem.toString('utf8').match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return 'no PEM certificate (-----BEGIN CERTIFICATE-----) in the file';
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (err) {
      return `certificate ${i + 1} in the file cannot be parsed: ${(err as Error).message}`;
    }
  }
  return undefined;
}

/** Why OpenSSL refuses a client key with its (readable) certificate. */
function clientKeyProblem(cert: Buffer, key: Buffer): string | undefined {
  try {
    createSecureContext({ cert, key });
    return undefined;
  } catch (err) {
    const reason = (err as Error).message.replace(/^error:[0-9A-F]+:/, '');
    return /mismatch/i.test(reason) ? `does not match cert_file (${reason})` : `cannot be used as a private key (${reason})`;
  }
}
