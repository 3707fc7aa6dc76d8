/**
 * A small HTTP proxy on 127.0.0.1 in front of a real registry: it records every request (to count
 * upstream manifest requests), can strip response headers (a registry that omits
 * Docker-Content-Digest), and can answer some requests itself (429, 503, redirects).
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { freePort } from './net.js';

export interface SeenRequest {
  method: string;
  path: string;
  authorization: string | undefined;
}

export interface CannedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ProxyOptions {
  /** Response headers to remove (lower case). */
  stripHeaders?: string[];
  /** Answer a request without forwarding it (return undefined to forward). */
  intercept?: (req: IncomingMessage) => CannedAnswer | undefined;
  /** Delay before forwarding (ms). */
  delayMs?: number;
}

export interface TestProxy {
  port: number;
  host: string;
  url: string;
  requests: SeenRequest[];
  options: ProxyOptions;
  /** Requests for manifests (`/v2/…/manifests/…`), optionally of one method. */
  manifestRequests(method?: string): SeenRequest[];
  close(): Promise<void>;
}

export async function startProxy(targetPort: number, options: ProxyOptions = {}): Promise<TestProxy> {
  const port = await freePort();
  const requests: SeenRequest[] = [];
  /** Forwards waiting out `delayMs`: dropped at close, so a long delay leaves nothing behind. */
  const delayed = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization });
    const canned = state.options.intercept?.(req);
    if (canned) {
      req.resume();
      res.writeHead(canned.status, canned.headers ?? {}).end(canned.body ?? '');
      return;
    }
    const forward = (): void => {
      const upstream = request(
        { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${targetPort}` } },
        (up) => {
          const headers = { ...up.headers };
          for (const name of state.options.stripHeaders ?? []) delete headers[name];
          // Locations the registry gives point at itself: keep clients on the proxy.
          if (typeof headers.location === 'string') headers.location = headers.location.replace(`127.0.0.1:${targetPort}`, `127.0.0.1:${port}`);
          res.writeHead(up.statusCode ?? 502, headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
      req.pipe(upstream);
    };
    if (state.options.delayMs) {
      const timer = setTimeout(() => {
        delayed.delete(timer);
        forward();
      }, state.options.delayMs);
      delayed.add(timer);
    } else forward();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const state: TestProxy = {
    port,
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    options,
    manifestRequests: (method) => requests.filter((r) => /\/manifests\//.test(r.path) && (method === undefined || r.method === method)),
    close: async () => {
      for (const timer of delayed) clearTimeout(timer);
      delayed.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}
