/**
 * Every error the HTTP API can return, in one registry: a stable code, an HTTP status and the
 * OpenAI error `type`. Responses use OpenAI's envelope `{"error":{"message","type","param","code"}}`,
 * which the official SDKs turn into their error classes by status (400 BadRequestError, 401
 * AuthenticationError, 404 NotFoundError, 429 RateLimitError, 5xx InternalServerError).
 *
 * Client errors (4xx) say what to change; engine faults (5xx) say the request may be retried.
 */
export const API_ERRORS = {
  invalid_json: { status: 400, type: "invalid_request_error" },
  invalid_request: { status: 400, type: "invalid_request_error" },
  invalid_type: { status: 400, type: "invalid_request_error" },
  invalid_value: { status: 400, type: "invalid_request_error" },
  missing_required_parameter: { status: 400, type: "invalid_request_error" },
  unknown_parameter: { status: 400, type: "invalid_request_error" },
  unsupported_parameter: { status: 400, type: "invalid_request_error" },
  context_length_exceeded: { status: 400, type: "invalid_request_error" },
  invalid_api_key: { status: 401, type: "invalid_request_error" },
  model_not_found: { status: 404, type: "invalid_request_error" },
  not_found: { status: 404, type: "invalid_request_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  request_too_large: { status: 413, type: "invalid_request_error" },
  /** The waiting queue is full (`--max-queued-requests`): back-pressure, not a broken replica. */
  queue_full: { status: 429, type: "rate_limit_error" },
  internal_error: { status: 500, type: "server_error" },
  /** Draining after SIGTERM, or the engine stopped: try another replica. */
  server_shutting_down: { status: 503, type: "server_error" },
} as const satisfies Record<string, { status: number; type: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** The wire shape of an error response body. */
export interface ApiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: string;

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly param: string | null = null,
    /** Extra response headers (e.g. Retry-After). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = API_ERRORS[code].status;
    this.type = API_ERRORS[code].type;
  }

  toBody(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A 4xx error for a bad value of one request parameter. */
export function invalidValue(param: string, message: string): ApiError {
  return new ApiError("invalid_value", message, param);
}

/** A parameter OpenAI defines that this server cannot honour (ignoring it would change the result). */
export function unsupported(param: string, message: string): ApiError {
  return new ApiError("unsupported_parameter", message, param);
}

/** OpenAI's wording, which clients and users recognise. */
export function contextLengthExceeded(param: string, maxModelLen: number, numPromptTokens: number, maxTokens: number | null): ApiError {
  const asked = maxTokens === null ? `${numPromptTokens} tokens` : `${numPromptTokens + maxTokens} tokens (${numPromptTokens} in the ${param}, ${maxTokens} in the completion)`;
  return new ApiError(
    "context_length_exceeded",
    `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${asked}. Please reduce the length of the ${param}${maxTokens === null ? "" : " or completion"}.`,
    param,
  );
}
