import { randomUUID } from 'node:crypto';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's x-request-id when it is a sane token, otherwise a fresh one. */
export function requestIdFrom(header: string | undefined): string {
  return header && SAFE_ID.test(header) ? header : `req_${randomUUID().replaceAll('-', '')}`;
}
