/**
 * A worker thread of `simulateFleetInThreads`: makes the whole workload, routes every request as
 * the whole fleet's (state-free) router would, and simulates the requests of its own replicas.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { RoutingPolicy } from "../../router/policies/types.js";
import { prepareSimulation } from "../run.js";
import type { WorkloadItem } from "../workload.js";
import { requestIdOf, runFleet } from "./simulation.js";
import type { FleetPartMessage, FleetPartResult, FleetPartTask } from "./threads.js";

const port = parentPort;
if (port === null) throw new Error("part-worker.js runs as a worker thread of a simulation");
const { settings, replicas: mine } = workerData as FleetPartTask;
const post = (m: FleetPartMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

try {
  const prepared = prepareSimulation(settings);
  const fleetRouter = prepared.fleet.router;
  if (fleetRouter.usesEndpointState) throw new Error(`router ${fleetRouter.name} reads replica state: its replicas cannot be simulated apart`);
  const localOf = new Int32Array(settings.numReplicas).fill(-1);
  mine.forEach((global, local) => (localOf[global] = local));
  // The fleet's routing decisions, request by request in workload order (all the router reads).
  const idle = Array.from({ length: settings.numReplicas }, (_, index) => ({ index, numInFlight: 0, outstandingWorkTokens: 0 }));
  const localRoute = new Map<string, number>();
  function* ownRequests(items: Iterable<WorkloadItem>): Generator<WorkloadItem> {
    for (const item of items) {
      const id = requestIdOf(item.index);
      const local = localOf[fleetRouter.route({ id, promptTokenIds: item.promptTokenIds, maxOutputTokens: item.outputTokens }, idle)]!;
      if (local < 0) continue;
      localRoute.set(id, local);
      yield item;
    }
  }
  const router: RoutingPolicy = {
    name: `${fleetRouter.name} (decided for the whole fleet)`,
    usesEndpointState: false,
    readsPromptTokens: false,
    route: (request) => localRoute.get(request.id)!,
  };
  const run = runFleet(
    {
      ...prepared.fleet,
      replicas: mine.map((r) => prepared.fleet.replicas[r]!),
      router,
      onProgress: (simulatedMs, numFinished) => post({ kind: "progress", simulatedMs, numFinished }),
    },
    ownRequests(prepared.items()),
  );
  const offsets = new Int32Array(run.requests.length + 1);
  run.requests.forEach((r, i) => (offsets[i + 1] = offsets[i]! + r.itlMs.length));
  const gaps = new Float64Array(offsets[run.requests.length]!);
  run.requests.forEach((r, i) => gaps.set(r.itlMs, offsets[i]!));
  const part: FleetPartResult = {
    // itlMs stays in its place (as null), so records keep their key order.
    requests: run.requests.map((r) => ({ ...r, itlMs: null, replica: mine[r.replica]! })),
    gaps,
    offsets,
    replicas: run.replicas,
    startMs: run.startMs,
    endMs: run.endMs,
    numEvents: run.numEvents,
    numDecodeRunSteps: run.numDecodeRunSteps,
    replicaSeries: run.replicaSeries.map((s) => s.state()),
    fleetSeries: run.fleetSeries.state(),
  };
  post({ kind: "done", part }, [gaps.buffer as ArrayBuffer]);
} catch (e) {
  post({ kind: "error", message: e instanceof Error ? e.message : String(e) });
}
