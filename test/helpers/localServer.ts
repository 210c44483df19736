/**
 * A real HTTP server on 127.0.0.1 for safeFetch tests. It records every
 * request it receives, so a test can prove that a refused URL never reached it.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  path: string;
  host: string | undefined;
}

export interface LocalServer {
  port: number;
  /** http://127.0.0.1:<port><path> */
  url(path: string): string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startLocalServer(
  handler: (request: http.IncomingMessage, response: http.ServerResponse, server: LocalServer) => void,
): Promise<LocalServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const local: LocalServer = {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on("request", (request: http.IncomingMessage, response: http.ServerResponse) => {
    requests.push({ path: request.url ?? "", host: request.headers.host });
    handler(request, response, local);
  });
  return local;
}
