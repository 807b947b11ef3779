import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ApiError, gatewayError } from '../core/errors.js';
import { errorJson } from './errors.js';

/**
 * What Node's HTTP parser or its request timers refused, as the OpenAI error envelope: headers too
 * large (431), a request not received in time (408), anything else the parser could not read (400).
 */
export function clientErrorAnswer(code: string | undefined): ApiError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return gatewayError('request_header_fields_too_large', 'The request headers are too large.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return gatewayError('request_timeout', 'The request was not received in time: send headers and body without long pauses.');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
      return gatewayError('bad_request', 'The request has an invalid body length or framing.');
    default:
      return gatewayError('bad_request', 'The request could not be parsed as HTTP/1.1.');
  }
}

/**
 * Answers a parser or timeout error on the raw socket, where the socket still allows it (no response
 * of its own has begun on it), then closes the connection.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // Node keeps the response in progress on the socket; one that has begun cannot take a second.
  const current = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const e = clientErrorAnswer(err.code);
  const body = errorJson(e);
  socket.end(`HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
