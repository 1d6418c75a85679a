import { ApiError } from "../api/errors.js";
import { SamplingParamsError } from "../engine/sampler/errors.js";

const JSON_HEADERS = { "content-type": "application/json" };

export function jsonResponse(body: unknown, status = 200, headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function errorResponse(e: ApiError): Response {
  return jsonResponse(e.toBody(), e.status, e.headers);
}

/**
 * Any error thrown while handling a request, as an ApiError. Errors the engine raises for bad
 * input before queuing (sampling parameters, prompts that cannot fit) are the client's 400;
 * anything else is a 500 whose message is logged, not shown in full.
 */
export function toApiError(e: unknown, log?: (line: string) => void): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof SamplingParamsError) return new ApiError("invalid_value", e.message, e.field);
  if (e instanceof RangeError) return new ApiError("invalid_value", e.message, "prompt");
  const msg = e instanceof Error ? e.message : String(e);
  if (msg === "the engine is shutting down") return new ApiError("server_shutting_down", "The server is shutting down; send the request to another replica.");
  log?.(`internal error: ${e instanceof Error && e.stack ? e.stack : msg}`);
  return new ApiError("internal_error", `Internal server error: ${msg}`);
}
