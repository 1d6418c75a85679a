// Builds the native backend (binding.gyp -> build/Release/flotilla_native.node) with node-gyp.
// Run by `npm install` / `npm ci`: a failed build never fails the install; Flotilla then runs on
// the TypeScript reference backend and says why. `--strict` (npm run build:native) exits 1 instead.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

const strict = process.argv.includes("--strict");

// npm passes its bundled node-gyp to lifecycle scripts; otherwise look next to this node's npm.
const candidates = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), "../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
  join(dirname(process.execPath), "node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"),
].filter((p) => p && existsSync(p));

const args = ["rebuild", "--jobs=max"];
// Headers installed with this node (distro packages, official tarballs) spare node-gyp a download,
// which matters on machines without network access.
const prefix = dirname(dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include/node/node_api.h"))) args.push(`--nodedir=${prefix}`);

const result = candidates.length > 0
  ? spawnSync(process.execPath, [candidates[0], ...args], { stdio: "inherit" })
  : spawnSync("node-gyp", args, { stdio: "inherit", shell: process.platform === "win32" });

if (result.status !== 0) {
  const why = result.error ? result.error.message : `node-gyp exited with status ${result.status}`;
  console.warn(
    [
      "",
      `flotilla: the native backend was not built (${why}).`,
      "flotilla: everything still works on the TypeScript reference backend, only slower.",
      "flotilla: to build it, install a C++ compiler, make and python3, then run `npm run build:native`.",
      "",
    ].join("\n"),
  );
  process.exit(strict ? 1 : 0);
}
