import { ApiError } from "../api/errors.js";
import type { ServerContext } from "./context.js";

/**
 * Decides whether `numNewRequests` engine requests may be queued now. Kept out of the engine's
 * step loop: it is a separate check made before anything is added.
 *
 * A full queue answers 429 with Retry-After rather than 503: it is back-pressure on a healthy
 * replica (as TGI does for the same limit), and load balancers such as Envoy eject hosts that
 * return 5xx, which would turn a burst into lost capacity. 503 is kept for a replica that is
 * going away (draining).
 */
export function admit(ctx: ServerContext, numNewRequests: number): void {
  if (ctx.lifecycle.isDraining) {
    throw new ApiError("server_shutting_down", "The server is shutting down; send the request to another replica.", null, { connection: "close" });
  }
  const limit = ctx.options.maxQueuedRequests;
  if (limit === undefined) return;
  if (numNewRequests > limit) {
    throw new ApiError("invalid_value", `This request needs ${numNewRequests} sequences (prompts x n), more than the server queues at once (${limit}).`, "n");
  }
  const waiting = ctx.engine.numWaiting;
  if (waiting + numNewRequests > limit) {
    throw new ApiError(
      "queue_full",
      `The server is overloaded: ${waiting} requests are waiting (limit ${limit}). Retry after ${ctx.options.retryAfterSeconds} s.`,
      null,
      { "retry-after": String(ctx.options.retryAfterSeconds) },
    );
  }
}
