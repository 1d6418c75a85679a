import type { z } from "zod";
import { ApiError } from "./errors.js";

/**
 * Parses a decoded JSON body with a request schema. The first problem becomes one 400 error whose
 * `param` names the field as OpenAI does (`messages[0].content`), so a client sees what to fix.
 */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError("invalid_request", "The request body must be a JSON object.");
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw issueToError(result.error.issues[0]!, body);
}

function issueToError(issue: z.core.$ZodIssue, body: unknown): ApiError {
  const where = paramName(issue.path);
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0]!;
    const param = where === null ? key : `${where}.${key}`;
    return new ApiError("unknown_parameter", `Unrecognized request argument supplied: ${param}`, param);
  }
  if (where === null) return new ApiError("invalid_request", issue.message);
  if ((issue.code === "invalid_type" || issue.code === "invalid_union") && valueAt(body, issue.path) === undefined) {
    return new ApiError("missing_required_parameter", `Missing required parameter: '${where}'.`, where);
  }
  if (issue.code === "invalid_type" || issue.code === "invalid_union") {
    return new ApiError("invalid_type", `Invalid type for '${where}': ${issue.message}`, where);
  }
  return new ApiError("invalid_value", `Invalid value for '${where}': ${issue.message}`, where);
}

/** `["messages", 0, "content"]` -> `messages[0].content`; null for the body itself. */
export function paramName(path: readonly PropertyKey[]): string | null {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out === "" ? null : out;
}

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = body;
  for (const p of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}
