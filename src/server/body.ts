import { ApiError } from "../api/errors.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function bodyTooLarge(maxBytes: number): ApiError {
  return new ApiError("request_too_large", `The request body is larger than the server accepts (${maxBytes} bytes).`);
}

/**
 * Reads a JSON body of at most `maxBytes`. The declared Content-Length is checked first, and the
 * bytes are counted as they arrive, so neither a lying header nor a chunked upload can make the
 * server buffer more than the limit.
 */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw bodyTooLarge(maxBytes);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        void reader.cancel().catch(() => {});
        throw bodyTooLarge(maxBytes);
      }
      chunks.push(value);
    }
  }
  const bytes = Buffer.concat(chunks, size);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError("invalid_json", "We could not parse the JSON body of your request: it is not valid UTF-8.");
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ApiError(
      "invalid_json",
      `We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload.) ${why}`,
    );
  }
}
