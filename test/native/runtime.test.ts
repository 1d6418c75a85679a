/**
 * The addon's runtime behaviour: an idle thread pool sleeps instead of spinning, every ISA this
 * CPU supports can be selected (and an unknown one is refused), and the C++ port of the Q4_K
 * reference quantizer (used to write large benchmark models quickly) matches the TypeScript one
 * byte for byte.
 */
import { expect, it } from "vitest";
import { loadAddon } from "../../src/engine/backend/native/addon.js";
import { loadNativeBackend, NATIVE_ISAS, type NativeIsa } from "../../src/engine/backend/native/index.js";
import { GgmlType, quantize } from "../../src/engine/quant/index.js";
import { describeNative, ISAS, randomFloats } from "./helpers.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeNative("native runtime", () => {
  it("weight memory from the backend holds what is written to it (large tensors on huge pages)", () => {
    const be = loadNativeBackend({ threads: 1 })!;
    for (const n of [0, 1, 100, 600 << 10, (3 << 20) + 5]) {
      const buf = be.allocWeightBytes(n);
      expect(buf.length).toBe(n);
      for (let i = 0; i < n; i += 4093) buf[i] = i & 0xff;
      for (let i = 0; i < n; i += 4093) expect(buf[i]).toBe(i & 0xff);
    }
  });

  it("an idle pool of 4 threads uses (almost) no CPU", async () => {
    const be = loadNativeBackend({ threads: 4 })!;
    const cols = 1024, rows = 512;
    const w = { name: "w", type: GgmlType.F32, rows, cols, data: new Uint8Array(randomFloats(rows * cols, 1).buffer) };
    const x = randomFloats(cols * 8, 2);
    const out = new Float32Array(rows * 8);
    for (let i = 0; i < 20; i++) be.matmul(w, x, 8, out);
    await sleep(50); // past the workers' short spin
    const before = process.cpuUsage();
    await sleep(400);
    const used = process.cpuUsage(before);
    const ms = (used.user + used.system) / 1000;
    // three spinning workers would burn ~1200 ms here
    if (ms > 100) throw new Error(`idle process used ${ms.toFixed(0)} ms of CPU in 400 ms`);
  });

  it("thousands of back-to-back parallel ops on more threads than cores all complete correctly", () => {
    const be = loadNativeBackend({ threads: 6 })!;
    const n = 40000; // above the size at which element-wise ops go parallel
    const a = new Float32Array(n);
    const b = new Float32Array(n).fill(1);
    for (let i = 0; i < 5000; i++) be.add(a, b, n);
    for (let i = 0; i < n; i++) if (a[i] !== 5000) throw new Error(`a[${i}] = ${a[i]}, want 5000`);
  });

  it("selects every supported ISA by name, caps to the best available, and refuses unknown names", () => {
    for (const isa of ISAS) {
      const be = loadNativeBackend({ threads: 1, isa })!;
      if (be.isa !== isa || be.name !== `native-${isa}`) throw new Error(`asked for ${isa}, got ${be.name}`);
    }
    const best = ISAS[ISAS.length - 1]!;
    const capped = loadNativeBackend({ threads: 1, isa: "amx" })!;
    if (NATIVE_ISAS.indexOf(capped.isa) > NATIVE_ISAS.indexOf("amx") || capped.isa !== best) throw new Error(`cap amx gave ${capped.isa}`);
    let threw = false;
    try {
      loadNativeBackend({ isa: "neon" as NativeIsa });
    } catch {
      threw = true;
    }
    if (!threw) throw new Error("an unknown ISA name was accepted");
  });

  it("native Q4_K quantization is byte-identical to the TypeScript reference quantizer", () => {
    const load = loadAddon();
    if (!load.ok) throw new Error(load.reason);
    const n = 256 * 64;
    const x = randomFloats(n, 77, 2);
    x.fill(0, 256, 512); // an all-zero block
    x.fill(0.25, 512, 768); // a constant block
    for (let i = 768; i < 1024; i += 37) x[i] = 40; // outliers
    const want = quantize(GgmlType.Q4_K, x);
    const got = new Uint8Array(want.length);
    load.addon.quantize(GgmlType.Q4_K, x, got);
    for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) throw new Error(`byte ${i} (block ${Math.floor(i / 144)}): ${got[i]} != ${want[i]}`);
  });
});
