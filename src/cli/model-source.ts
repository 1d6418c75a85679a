import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { DEMO_MODEL_NAME, ensureDemoModel } from "./demo-model.js";
import { download } from "./download.js";
import { progressReporter } from "./progress.js";

/** Where `--model` comes from; read from the environment by the CLI only. */
export interface ModelSourceEnv {
  /** `$FLOTILLA_CACHE`, else `$XDG_CACHE_HOME/flotilla`, else `~/.cache/flotilla`. */
  readonly cacheDir: string;
  /** `$FLOTILLA_HF_ENDPOINT` or `$HF_ENDPOINT`, else https://huggingface.co (tests point it at a local server). */
  readonly hfEndpoint: string;
  readonly hfToken?: string;
}

export function modelSourceEnv(env: NodeJS.ProcessEnv = process.env): ModelSourceEnv {
  const cacheDir = env.FLOTILLA_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "flotilla");
  const hfEndpoint = (env.FLOTILLA_HF_ENDPOINT || env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, "");
  return { cacheDir, hfEndpoint, ...(env.HF_TOKEN ? { hfToken: env.HF_TOKEN } : {}) };
}

export interface ResolvedModel {
  readonly path: string;
  /** The default served model name: the `--model` argument as given (as vLLM), or the demo's name. */
  readonly name: string;
  readonly isDemo: boolean;
}

/** `hf:OWNER/REPO/PATH/IN/REPO.gguf` */
export interface HfFileRef {
  readonly owner: string;
  readonly repo: string;
  /** Path inside the repository, '/'-separated. */
  readonly file: string;
}

const HF_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function parseHfRef(spec: string): HfFileRef {
  const parts = spec.slice("hf:".length).split("/");
  const [owner, repo, ...file] = parts;
  const bad = (why: string): Error => new Error(`--model ${spec}: ${why} (expected hf:OWNER/REPO/FILE.gguf)`);
  if (owner === undefined || repo === undefined || file.length === 0) throw bad("missing parts");
  if (!HF_NAME.test(owner) || !HF_NAME.test(repo)) throw bad("invalid owner or repository name");
  if (file.some((seg) => seg === "" || seg === "." || seg === "..")) throw bad("invalid file path");
  return { owner, repo, file: file.join("/") };
}

export function hfUrl(endpoint: string, ref: HfFileRef): string {
  const file = ref.file.split("/").map(encodeURIComponent).join("/");
  return `${endpoint}/${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.repo)}/resolve/main/${file}`;
}

/**
 * Turns `--model` into a local file: a path is used as is; `hf:...` is downloaded into the cache
 * (or reused from it); nothing means the built-in demo model.
 */
export async function resolveModel(spec: string | undefined, env: ModelSourceEnv, log: (line: string) => void): Promise<ResolvedModel> {
  if (spec === undefined || spec === "") {
    const { path, created } = ensureDemoModel(env.cacheDir);
    log(`no --model given: serving the built-in demo model (random weights, gibberish output) ${created ? "written to" : "from"} ${path}; pass --model PATH or hf:OWNER/REPO/FILE.gguf for a real one`);
    return { path, name: DEMO_MODEL_NAME, isDemo: true };
  }
  if (!spec.startsWith("hf:")) return { path: spec, name: spec, isDemo: false };

  const ref = parseHfRef(spec);
  const dest = join(env.cacheDir, "hf", ref.owner, ref.repo, ...ref.file.split("/"));
  const url = hfUrl(env.hfEndpoint, ref);
  if (!existsSync(dest)) log(`downloading ${url} to ${dest}`);
  const progress = progressReporter(`downloading ${ref.file}`);
  const result = await download(url, dest, {
    headers: env.hfToken ? { authorization: `Bearer ${env.hfToken}` } : {},
    onProgress: (done, total) => progress(done, total),
  });
  progress.done();
  if (result.reused) log(`using cached ${dest}`);
  else log(`downloaded ${url} to ${dest} (${result.sizeBytes} bytes${result.resumedFromBytes > 0 ? `, resumed from byte ${result.resumedFromBytes}` : ""})`);
  return { path: result.path, name: spec.slice("hf:".length), isDemo: false };
}
