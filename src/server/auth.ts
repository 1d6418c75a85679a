import { createHash, timingSafeEqual } from "node:crypto";
import { ApiError } from "../api/errors.js";

/** Compares digests, so the time taken says nothing about how much of the key matched. */
function sameSecret(a: string, b: string): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}

/** Throws 401 unless the request carries `Authorization: Bearer <apiKey>`. */
export function checkApiKey(request: Request, apiKey: string): void {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (match === null || !sameSecret(match[1]!, apiKey)) {
    throw new ApiError("invalid_api_key", match === null ? "You didn't provide an API key. Provide it in an Authorization header (Authorization: Bearer YOUR_KEY)." : "Incorrect API key provided.");
  }
}
