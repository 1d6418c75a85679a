import { SSE_DONE, SSE_HEADERS, sseEvent } from "../api/sse.js";
import type { ApiError } from "../api/errors.js";
import { toApiError } from "./responses.js";

/**
 * A streaming response from an async generator of chunk objects. Pull-based: the next chunk is
 * produced only when the socket wants it. `onCancel` runs when the client goes away (the body is
 * cancelled) and must end the engine requests at once: the generator may be parked waiting for a
 * token that a stalled request would never produce.
 */
export function sseResponse(chunks: AsyncGenerator<unknown, ApiError | undefined>, onCancel: () => void): Response {
  let finished = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (finished) return;
      let r: IteratorResult<unknown, ApiError | undefined>;
      try {
        r = await chunks.next();
      } catch (e) {
        r = { done: true, value: toApiError(e) };
      }
      if (!r.done) {
        controller.enqueue(sseEvent(r.value));
        return;
      }
      finished = true;
      if (r.value) controller.enqueue(sseEvent(r.value.toBody()));
      controller.enqueue(SSE_DONE);
      controller.close();
    },
    cancel() {
      finished = true;
      onCancel();
      void chunks.return(undefined);
    },
  });
  return new Response(body, { status: 200, headers: SSE_HEADERS });
}
