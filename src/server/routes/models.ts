import { ApiError } from "../../api/errors.js";
import type { ModelCard, ModelList } from "../../api/models.js";
import type { ServerContext } from "../context.js";
import { jsonResponse } from "../responses.js";

function card(ctx: ServerContext, name: string): ModelCard {
  return { id: name, object: "model", created: ctx.startedAt, owned_by: "flotilla", root: ctx.model.path, parent: null, max_model_len: ctx.maxModelLen };
}

/** `GET /v1/models`: every served name (all refer to the one loaded model). */
export function listModels(ctx: ServerContext): Response {
  const body: ModelList = { object: "list", data: ctx.options.servedModelNames.map((name) => card(ctx, name)) };
  return jsonResponse(body);
}

/** `GET /v1/models/{model}`. */
export function retrieveModel(ctx: ServerContext, name: string): Response {
  if (!ctx.options.servedModelNames.includes(name)) throw new ApiError("model_not_found", `The model \`${name.slice(0, 200)}\` does not exist.`, "model");
  return jsonResponse(card(ctx, name));
}
