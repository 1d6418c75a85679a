import { existsSync, mkdirSync, renameSync, statSync, truncateSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface DownloadOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** Called as bytes arrive; `totalBytes` is 0 when the server did not say. */
  readonly onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Further attempts after a broken transfer, each resuming where the last one stopped. */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly signal?: AbortSignal;
}

export interface DownloadResult {
  readonly path: string;
  /** The file was already complete in the cache: nothing was fetched. */
  readonly reused: boolean;
  /** Bytes of an earlier partial download that were kept (0 for a fresh start). */
  readonly resumedFromBytes: number;
  readonly sizeBytes: number;
}

/** A failure that another attempt cannot fix (404, 401, a server that lies about ranges). */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "DownloadError";
  }
}

/**
 * Downloads `url` to `dest`, unless `dest` exists (a finished download: reused as is).
 *
 * Bytes go to `dest + ".partial"` and the file is renamed to `dest` only once its size matches
 * what the server announced (Content-Length, or the total of Content-Range), so `dest` is never a
 * truncated file. A broken transfer is resumed with an HTTP Range request from the partial file's
 * size, within this call (`retries`) and across runs (the partial file stays). A server that
 * ignores the range and answers 200 gets a fresh start.
 */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  if (existsSync(dest)) return { path: dest, reused: true, resumedFromBytes: 0, sizeBytes: statSync(dest).size };
  mkdirSync(dirname(dest), { recursive: true });
  const partial = `${dest}.partial`;
  const resumedFromBytes = existsSync(partial) ? statSync(partial).size : 0;
  const retries = opts.retries ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      const size = await attemptOnce(url, partial, opts);
      renameSync(partial, dest);
      return { path: dest, reused: false, resumedFromBytes, sizeBytes: size };
    } catch (e) {
      const retryable = e instanceof DownloadError ? e.retryable : !opts.signal?.aborted;
      if (!retryable || attempt >= retries) throw e instanceof DownloadError ? e : new DownloadError(`download of ${url} failed: ${e instanceof Error ? e.message : String(e)}`, true);
      await sleep((opts.retryDelayMs ?? 500) * 2 ** attempt);
    }
  }
}

/** One request: appends what it gets to `partial`; returns the final size once complete. */
async function attemptOnce(url: string, partial: string, opts: DownloadOptions): Promise<number> {
  const start = existsSync(partial) ? statSync(partial).size : 0;
  const headers: Record<string, string> = { ...opts.headers };
  if (start > 0) headers.range = `bytes=${start}-`;
  const res = await fetch(url, { headers, redirect: "follow", ...(opts.signal ? { signal: opts.signal } : {}) });

  let offset: number;
  let total: number | null;
  if (res.status === 416 && start > 0) {
    // Nothing past `start`: the partial file is complete if the server's total says so.
    void res.body?.cancel();
    const t = totalFromContentRange(res.headers.get("content-range"));
    if (t === start) return start;
    truncateSync(partial, 0);
    throw new DownloadError(`the partial download (${start} bytes) does not match the server's file${t === null ? "" : ` (${t} bytes)`}; starting over`, true);
  } else if (res.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
    if (range === null || Number(range[1]) !== start) {
      void res.body?.cancel();
      throw new DownloadError(`the server answered the range request from byte ${start} with Content-Range '${res.headers.get("content-range")}'`, false);
    }
    offset = start;
    total = range[3] === "*" ? null : Number(range[3]);
  } else if (res.status === 200) {
    offset = 0; // no range support (or no partial file): start over
    const len = res.headers.get("content-length");
    total = len === null ? null : Number(len);
  } else {
    void res.body?.cancel();
    const hint = res.status === 401 || res.status === 403 ? " (gated or private: set HF_TOKEN)" : res.status === 404 ? " (check the owner, repository and file name)" : "";
    throw new DownloadError(`GET ${url}: HTTP ${res.status} ${res.statusText}${hint}`, res.status >= 500 || res.status === 429);
  }

  const file = await open(partial, offset === 0 ? "w" : "a");
  let done = offset;
  try {
    if (res.body) {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        await file.write(chunk);
        done += chunk.byteLength;
        opts.onProgress?.(done, total ?? 0);
      }
    }
  } finally {
    await file.close();
  }
  if (total !== null && done !== total) throw new DownloadError(`the transfer stopped at ${done} of ${total} bytes`, true);
  return done;
}

function totalFromContentRange(header: string | null): number | null {
  const m = /\/(\d+)$/.exec(header ?? "");
  return m ? Number(m[1]) : null;
}
