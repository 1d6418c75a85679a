import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Serving } from "./create.js";
import { toNodeHandler } from "./node-adapter.js";

export interface ListenOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Called when each response ends (an access log). */
  readonly onResponse?: (r: { method: string; path: string; status: number; durationMs: number }) => void;
}

export interface RunningServer {
  readonly server: Server;
  readonly host: string;
  readonly port: number;
  /** Base URL, e.g. http://127.0.0.1:8000 */
  readonly url: string;
  /**
   * Graceful stop: stop accepting connections, let in-flight requests finish for up to `graceMs`,
   * then abort what is left (streams end with an error event), close every connection and stop
   * the engine. Calling it again returns the same promise; with 0 it cuts the grace period short.
   */
  shutdown(graceMs: number): Promise<void>;
  /** HTTP requests whose response has not ended. */
  readonly numActiveRequests: number;
}

/** Time given to aborted streams to write their final events before sockets are closed. */
const ABORT_FLUSH_MS = 1000;

export async function listen(serving: Serving, opts: ListenOptions): Promise<RunningServer> {
  const handler = toNodeHandler(serving.app, { maxBodyBytes: serving.context.options.maxBodyBytes });
  let active = 0;
  let onIdle: (() => void) | null = null;
  const server = createServer((req, res) => {
    active++;
    const t0 = performance.now();
    res.on("close", () => {
      opts.onResponse?.({ method: req.method ?? "", path: (req.url ?? "").split("?")[0]!, status: res.statusCode, durationMs: performance.now() - t0 });
      if (--active === 0) onIdle?.();
    });
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = opts.host.includes(":") ? `[${opts.host}]` : opts.host;

  /** Ends the current grace wait early (a second signal). */
  let cutShort: (() => void) | null = null;
  const waitIdle = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (active === 0) return resolve(true);
      const finish = (idle: boolean): void => {
        clearTimeout(timer);
        onIdle = null;
        cutShort = null;
        resolve(idle);
      };
      const timer = setTimeout(() => finish(false), ms);
      onIdle = () => finish(true);
      cutShort = () => finish(false);
    });

  let stopping: Promise<void> | null = null;
  const shutdown = (graceMs: number): Promise<void> => {
    if (stopping !== null) {
      if (graceMs === 0) cutShort?.();
      return stopping;
    }
    stopping = (async () => {
      serving.context.lifecycle.startDraining();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if (!(await waitIdle(graceMs))) {
        await serving.engine.shutdown();
        await waitIdle(ABORT_FLUSH_MS);
      }
      server.closeAllConnections();
      await closed;
      await serving.engine.shutdown();
    })();
    return stopping;
  };

  return {
    server,
    host: opts.host,
    port,
    url: `http://${urlHost}:${port}`,
    shutdown,
    get numActiveRequests() {
      return active;
    },
  };
}
