/** Trace readers on the real files in ../shared/traces (row counts from its SOURCES.md). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectTraceFormat, parseAzureCsv, parseBurstGptCsv, parseMooncakeJsonl, readTraceFile, traceDataset, takeAll, buildWorkload } from "../../src/bench/workload/index.js";
import { SHARED } from "../helpers/paths.js";

const TRACES = join(SHARED, "traces");
const POOL = Array.from({ length: 200 }, (_, i) => 100 + i);

describe("Azure LLM inference traces", () => {
  it("reads every row of the code trace, including the last one without a newline", () => {
    const { format, rows } = readTraceFile(join(TRACES, "AzureLLMInferenceTrace_code.csv"));
    expect(format).toBe("azure");
    expect(rows.length).toBe(8819);
    expect(rows[0]).toEqual({ timeMs: 0, inputTokens: 4808, outputTokens: 10 });
    // 18:17:04.0319600 - 18:17:03.9799600 = 52 ms, kept to the 100 ns digit.
    expect(rows[1]!.timeMs).toBeCloseTo(52, 6);
    // The file's last bytes are "19:14:19.9280160,549,173" with no newline after them.
    expect(rows[rows.length - 1]).toMatchObject({ inputTokens: 549, outputTokens: 173 });
    const spanMin = rows[rows.length - 1]!.timeMs / 60_000;
    expect(spanMin).toBeGreaterThan(56);
    expect(spanMin).toBeLessThan(58); // "~57 min"
    expect(rows.length / (rows[rows.length - 1]!.timeMs / 1000)).toBeCloseTo(2.6, 1); // "2.6 req/s"
  });

  it("reads the conversation trace: 19,366 rows, ~58 min, 5.5 req/s, medians as documented", () => {
    const { rows } = readTraceFile(join(TRACES, "AzureLLMInferenceTrace_conv.csv"));
    expect(rows.length).toBe(19366);
    const spanS = rows[rows.length - 1]!.timeMs / 1000;
    expect(spanS / 60).toBeGreaterThan(57);
    expect(spanS / 60).toBeLessThan(59);
    expect(rows.length / spanS).toBeCloseTo(5.5, 1);
    const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    expect(median(rows.map((r) => r.inputTokens))).toBeCloseTo(1020, -1);
    expect(median(rows.map((r) => r.outputTokens))).toBeCloseTo(129, -1);
    expect(rows.every((r, i) => i === 0 || r.timeMs >= rows[i - 1]!.timeMs)).toBe(true);
  });

  it("rejects a file that is not an Azure trace, naming the line", () => {
    expect(() => parseAzureCsv("time,a,b\n1,2,3")).toThrow(/expected header TIMESTAMP/);
    expect(() => parseAzureCsv("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.9,12,x")).toThrow(/line 2: GeneratedTokens/);
  });
});

describe("Mooncake trace", () => {
  const { format, rows } = readTraceFile(join(TRACES, "mooncake_synthetic_trace.jsonl"));

  it("reads all 3,993 rows with one hash id per 512-token block", () => {
    expect(format).toBe("mooncake");
    expect(rows.length).toBe(3993);
    expect(rows[0]!.timeMs).toBe(0);
    expect(rows[2]!.timeMs).toBe(40);
    expect(rows.filter((r) => r.hashIds!.length !== Math.ceil(r.inputTokens / 512))).toEqual([]);
  });

  it("carries its prefix sharing: 64% of blocks reuse an earlier block", () => {
    const total = rows.reduce((s, r) => s + r.hashIds!.length, 0);
    const distinct = new Set(rows.flatMap((r) => r.hashIds!)).size;
    expect(1 - distinct / total).toBeCloseTo(0.64, 2);
  });

  it("replays with exact lengths and equal hash ids giving identical token blocks", () => {
    const first = rows.slice(0, 200);
    const items = [...traceDataset(first, { blockSize: 512 }, POOL, 7)];
    const blocks = new Map<number, string>();
    let shared = 0;
    items.forEach((it, i) => {
      const row = first[i]!;
      expect(it.promptTokenIds.length).toBe(row.inputTokens);
      expect(it.outputTokens).toBe(row.outputTokens);
      expect(it.traceTimeMs).toBe(row.timeMs);
      row.hashIds!.forEach((h, b) => {
        const content = it.promptTokenIds.slice(b * 512, (b + 1) * 512);
        if (content.length < 512) return; // a partial last block is the start of its block
        const key = content.join(",");
        const prev = blocks.get(h);
        if (prev !== undefined) {
          expect(key).toBe(prev);
          shared++;
        } else {
          blocks.set(h, key);
        }
      });
    });
    expect(shared).toBeGreaterThan(50);
    // Different hash ids are different blocks.
    const contents = [...blocks.values()];
    expect(new Set(contents).size).toBe(contents.length);
    // Rows 15 and 58 start with the same block (hash id 708); rows 0 and 1 do not share.
    expect(items[15]!.promptTokenIds.slice(0, 512)).toEqual(items[58]!.promptTokenIds.slice(0, 512));
    expect(items[0]!.promptTokenIds.slice(0, 512)).not.toEqual(items[1]!.promptTokenIds.slice(0, 512));
  });

  it("clips long prompts for small models and keeps the shared prefix", () => {
    const items = [...traceDataset(rows.slice(0, 120), { blockSize: 512, maxPromptTokens: 300, maxOutputTokens: 8 }, POOL, 7)];
    expect(items.every((it) => it.promptTokenIds.length <= 300 && it.outputTokens <= 8)).toBe(true);
    expect(items[1]!.promptTokenIds).toEqual(items[1]!.promptTokenIds.slice(0, 300));
    expect(items[15]!.promptTokenIds).toEqual(items[58]!.promptTokenIds.slice(0, items[15]!.promptTokenIds.length));
  });

  it("replays trace times scaled by --time-scale", () => {
    const items = takeAll(buildWorkload(traceDataset(rows.slice(0, 10), { blockSize: 512 }, POOL, 1), { kind: "trace", timeScale: 0.5 }, 1));
    expect(items.map((i) => (i.arrival.kind === "at" ? i.arrival.timeMs : -1))).toEqual(rows.slice(0, 10).map((r) => r.timeMs * 0.5));
  });

  it("names the line of a malformed row", () => {
    expect(() => parseMooncakeJsonl('{"timestamp": 0, "input_length": 5, "output_length": 1, "hash_ids": [0]}\nnot json')).toThrow(/line 2: not JSON/);
    expect(() => parseMooncakeJsonl('{"timestamp": 0, "input_length": -5, "output_length": 1}')).toThrow(/line 1: input_length/);
  });
});

describe("BurstGPT-style CSV", () => {
  const csv = [
    "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type",
    "5,ChatGPT,472,18,490,Conversation log",
    "45,ChatGPT,1087,0,1087,Conversation log",
    "118.5,GPT-4,417,251,668,API log",
  ].join("\r\n");

  it("reads lengths and times, skipping failed (0-token) responses as vLLM's loader does", () => {
    expect(detectTraceFormat(csv)).toBe("burstgpt");
    expect(parseBurstGptCsv(csv)).toEqual([
      { timeMs: 0, inputTokens: 472, outputTokens: 18 },
      { timeMs: 113_500, inputTokens: 417, outputTokens: 251 },
    ]);
  });

  it("finds columns by name in any order", () => {
    expect(parseBurstGptCsv("Response tokens,Timestamp,Request tokens\n7,1.5,9")).toEqual([{ timeMs: 0, inputTokens: 9, outputTokens: 7 }]);
    expect(() => parseBurstGptCsv("Timestamp,Request tokens\n1,2")).toThrow(/no "Response tokens" column/);
  });
});

it("detects each real file's format from its first line", () => {
  for (const [file, format] of [
    ["AzureLLMInferenceTrace_code.csv", "azure"],
    ["mooncake_synthetic_trace.jsonl", "mooncake"],
  ] as const) {
    expect(detectTraceFormat(readFileSync(join(TRACES, file), "utf8").slice(0, 2000))).toBe(format);
  }
  expect(() => detectTraceFormat("a,b,c\n1,2,3")).toThrow(/unknown trace format/);
});
