import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { JSON_CONTENT_TYPE } from './content-types.js';
import { ErrorCode, httpStatusOf } from './errors.js';

/**
 * Requests Node's HTTP parser refuses before any route sees them (a URL or headers over its 16 KB, a
 * malformed request line, a client too slow to send its headers) get the service's error model too:
 * `{"error": {"code", "message"}}`, then the connection is closed (Node cannot read on after a parse error).
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [ErrorCode.RequestHeadersTooLarge, 'The request line and headers are larger than the limit (16 KB): send long inputs in a POST body']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [ErrorCode.RequestTimeout, 'The request was not received in time']
        : [ErrorCode.InvalidRequest, 'Malformed HTTP request'];
  const status = httpStatusOf(code);
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: ${JSON_CONTENT_TYPE}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
