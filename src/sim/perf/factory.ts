import type { GpuSpec } from "../hardware/gpu.js";
import { normaliseName } from "../names.js";
import { deploymentCosts, type Deployment } from "./deployment.js";
import { LinearStepTime } from "./linear-model.js";
import { RooflineStepTime } from "./roofline.js";
import type { StepTimeModel } from "./step-time.js";

/**
 * The step-time model for a deployment on a GPU: the fitted model when the spec carries one
 * (`sim calibrate`), else the roofline. `warn` hears when a fitted model is used for another
 * model or tensor parallelism than it was fitted on (its overhead holds that model's weight reads).
 */
export function stepTimeModelFor(gpu: GpuSpec, deployment: Deployment, warn: (message: string) => void = () => {}): StepTimeModel {
  const costs = deploymentCosts(deployment);
  if (gpu.fitted === undefined) return new RooflineStepTime(gpu, costs);
  const f = gpu.fitted.fittedFor;
  if (normaliseName(f.model) !== normaliseName(deployment.model.name) || f.tp !== deployment.tp) {
    warn(`${gpu.name} was calibrated for ${f.model} with tp ${f.tp}; using it for ${deployment.model.name} with tp ${deployment.tp} extrapolates`);
  }
  return new LinearStepTime(gpu.fitted, costs);
}
