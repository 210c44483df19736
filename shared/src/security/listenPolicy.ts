/**
 * Where the local server may listen without a key. With no `API_KEY` every
 * write is open to whoever reaches the port, so that is only allowed on
 * loopback; anywhere else the server refuses to start and says how to set one.
 */
import ipaddr from "ipaddr.js";

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (!ipaddr.isValid(h)) return false;
  const addr = ipaddr.process(h);
  return addr.range() === "loopback";
}

export class InsecureListenError extends Error {
  override name = "InsecureListenError";
}

/** Throws when the API would listen beyond loopback with no admin key. */
export function checkListenPolicy(config: { host: string; apiKey: string | undefined }): void {
  if (config.apiKey || isLoopbackHost(config.host)) return;
  throw new InsecureListenError(
    `refusing to listen on HOST=${config.host} without an API key: anyone who can reach this machine could write to the library and read its internals. ` +
      `Set one (at least 8 characters), e.g. API_KEY=$(openssl rand -hex 24) npm start, and send it as the x-api-key header; ` +
      `or listen on loopback only (HOST=127.0.0.1, the default).`,
  );
}
