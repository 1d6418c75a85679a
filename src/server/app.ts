import { ApiError } from "../api/errors.js";
import { checkApiKey } from "./auth.js";
import { readJson } from "./body.js";
import type { ServerContext } from "./context.js";
import { errorResponse, toApiError } from "./responses.js";
import { chatCompletions } from "./routes/chat-completions.js";
import { completions } from "./routes/completions.js";
import { health, metrics, version } from "./routes/health.js";
import { listModels, retrieveModel } from "./routes/models.js";
import { detokenize, tokenize } from "./routes/tokenize.js";

/**
 * The HTTP application as a function from a fetch `Request` to a `Response` (as Hono does): tests
 * call it in-process with no socket, and `node-adapter.ts` serves it over node:http. It never
 * throws: every failure becomes OpenAI's error envelope.
 */
export interface App {
  fetch(request: Request): Promise<Response>;
}

type Handler = (request: Request, ctx: ServerContext, arrivalMs: number) => Promise<Response> | Response;

/** A POST route whose body is JSON (read under the size limit before the handler runs). */
function withJson(fn: (request: Request, body: unknown, ctx: ServerContext, arrivalMs: number) => Promise<Response> | Response): Handler {
  return async (request, ctx, arrivalMs) => fn(request, await readJson(request, ctx.options.maxBodyBytes), ctx, arrivalMs);
}

const ROUTES: Readonly<Record<string, Readonly<Partial<Record<string, Handler>>>>> = {
  "/v1/completions": { POST: withJson(completions) },
  "/v1/chat/completions": { POST: withJson(chatCompletions) },
  "/v1/models": { GET: (_r, ctx) => listModels(ctx) },
  "/tokenize": { POST: withJson((_r, body, ctx) => tokenize(body, ctx)) },
  "/detokenize": { POST: withJson((_r, body, ctx) => detokenize(body, ctx)) },
  "/health": { GET: (_r, ctx) => health(ctx) },
  "/version": { GET: () => version() },
  "/metrics": { GET: (_r, ctx) => metrics(ctx) },
};

const MODEL_PREFIX = "/v1/models/";

/** Browsers may call the API from any origin (vLLM's default `--allowed-origins *`). */
const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "authorization, content-type, openai-organization, openai-project, x-stainless-*",
};

export function createApp(ctx: ServerContext): App {
  const route = (method: string, path: string): Handler => {
    if (path.startsWith(MODEL_PREFIX) && path.length > MODEL_PREFIX.length) {
      if (method !== "GET") throw methodNotAllowed(method, path);
      return (_r, c) => retrieveModel(c, decodeURIComponent(path.slice(MODEL_PREFIX.length)));
    }
    const methods = ROUTES[path];
    if (methods === undefined) throw new ApiError("not_found", `Unknown request URL: ${method} ${path.slice(0, 200)}.`);
    const handler = methods[method];
    if (handler === undefined) throw methodNotAllowed(method, path);
    return handler;
  };

  return {
    async fetch(request: Request): Promise<Response> {
      const arrivalMs = performance.now();
      let response: Response;
      try {
        const path = new URL(request.url).pathname;
        if (request.method === "OPTIONS") {
          response = new Response(null, { status: 204 });
        } else {
          const handler = route(request.method, path);
          // As vLLM: the key guards the OpenAI routes; health, metrics and tokenize stay open.
          if (ctx.options.apiKey !== undefined && path.startsWith("/v1/")) checkApiKey(request, ctx.options.apiKey);
          response = await handler(request, ctx, arrivalMs);
        }
      } catch (e) {
        response = errorResponse(toApiError(e, ctx.options.log));
      }
      for (const [k, v] of Object.entries(CORS_HEADERS)) response.headers.set(k, v);
      return response;
    },
  };
}

function methodNotAllowed(method: string, path: string): ApiError {
  return new ApiError("method_not_allowed", `Method ${method.slice(0, 20)} is not allowed on ${path.slice(0, 200)}.`);
}
