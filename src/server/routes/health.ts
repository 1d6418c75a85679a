import type { ServerContext } from "../context.js";
import { jsonResponse } from "../responses.js";

export const VERSION = "0.1.0";

/** `GET /health`: 200 with an empty body while serving (as vLLM), 503 while draining. */
export function health(ctx: ServerContext): Response {
  return new Response(null, { status: ctx.lifecycle.isDraining ? 503 : 200 });
}

/** `GET /version`. */
export function version(): Response {
  return jsonResponse({ version: VERSION });
}

/** `GET /metrics`: Prometheus text exposition. */
export async function metrics(ctx: ServerContext): Promise<Response> {
  return new Response(await ctx.metrics.render(), { status: 200, headers: { "content-type": ctx.metrics.contentType } });
}
