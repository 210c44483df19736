/**
 * Reading file:// URLs, confined to allowed folders.
 *
 * The check is made on the real path (every symlink resolved), so a link
 * inside an allowed folder that points at /etc/passwd is refused. The file is
 * then opened without following a final symlink and its identity compared with
 * the checked path, which narrows (though on a hostile local filesystem cannot
 * fully close) the window for swapping the file between check and open.
 */
import { constants as fsConstants } from "node:fs";
import { lstat, open, realpath } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ContentTooLargeError, FetchRefusedError, SourceNotFoundError } from "./errors";
import type { FetchedDocument } from "./fetchPolicy";
import { contentTypeForFileName } from "./sniff";

export async function readAllowedFile(
  url: URL,
  allowedFileRoots: string[],
  maxBytes: number,
): Promise<FetchedDocument> {
  if (allowedFileRoots.length === 0) {
    throw new FetchRefusedError("file-access-disabled", "file:// URLs are not allowed here");
  }
  if (url.hostname !== "" && url.hostname !== "localhost") {
    throw new FetchRefusedError("invalid-url", `file:// URLs with a host (${url.hostname}) are not supported`);
  }
  let requestedPath: string;
  try {
    requestedPath = fileURLToPath(url);
  } catch (error) {
    throw new FetchRefusedError("invalid-url", `not a usable file URL: ${(error as Error).message}`);
  }

  const roots = await realRoots(allowedFileRoots);
  const outside = (): FetchRefusedError =>
    new FetchRefusedError("file-outside-allowed-roots", `refused to read ${requestedPath}: it is not inside an allowed folder`);
  // First a lexical check, before touching the path at all, so that the answer
  // for a path outside the roots never reveals whether it exists.
  const lexicalRoots = [...roots, ...allowedFileRoots.filter((root) => path.isAbsolute(root)).map((root) => path.resolve(root))];
  if (!lexicalRoots.some((root) => isInside(root, path.resolve(requestedPath)))) throw outside();
  // Then the check that matters: on the real path, symlinks resolved.
  const realPath = await realpathOrNotFound(requestedPath);
  if (!roots.some((root) => isInside(root, realPath))) throw outside();

  const checked = await lstat(realPath);
  if (!checked.isFile()) {
    // Directories, FIFOs (which would block the read) and devices.
    throw new FetchRefusedError("not-a-regular-file", `refused to read ${requestedPath}: not a regular file`);
  }
  if (checked.size > maxBytes) throw new ContentTooLargeError(maxBytes);

  const handle = await open(realPath, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW).catch((error: unknown) => {
    throw notFound(requestedPath, error);
  });
  try {
    const opened = await handle.stat();
    if (opened.ino !== checked.ino || opened.dev !== checked.dev) {
      throw new FetchRefusedError("file-outside-allowed-roots", `refused to read ${requestedPath}: it changed while being checked`);
    }
    // Read one byte past the limit: a file that grew since stat() is caught too.
    const buffer = Buffer.alloc(Math.min(maxBytes + 1, opened.size + 1));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > maxBytes) throw new ContentTooLargeError(maxBytes);
    return {
      bytes: new Uint8Array(buffer.subarray(0, filled)),
      contentType: contentTypeForFileName(realPath),
      charset: null,
      finalUrl: pathToFileURL(realPath).href,
    };
  } finally {
    await handle.close();
  }
}

/** True when `candidate` is `root` or below it. Both must be real, absolute paths. */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  if (relative === "") return true;
  return relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
}

async function realRoots(allowedFileRoots: string[]): Promise<string[]> {
  const resolved = await Promise.all(
    allowedFileRoots
      // A relative root would silently depend on the process's working directory.
      .filter((root) => path.isAbsolute(root))
      .map((root) => realpath(root).catch(() => null)),
  );
  return resolved.filter((root): root is string => root !== null);
}

async function realpathOrNotFound(requestedPath: string): Promise<string> {
  try {
    return await realpath(requestedPath);
  } catch (error) {
    throw notFound(requestedPath, error);
  }
}

function notFound(requestedPath: string, error: unknown): SourceNotFoundError {
  const code = (error as NodeJS.ErrnoException).code ?? "error";
  return new SourceNotFoundError(`cannot read ${requestedPath} (${code})`, { cause: error });
}
