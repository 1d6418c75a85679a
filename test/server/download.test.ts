/**
 * `--model hf:OWNER/REPO/FILE` downloads against a local HTTP server standing in for the hub:
 * resume with Range after a broken transfer (within a run and across runs), size checks, reuse.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { download, DownloadError } from "../../src/cli/download.js";
import { hfUrl, parseHfRef, resolveModel } from "../../src/cli/model-source.js";
import { tempDir } from "../helpers/paths.js";

const FILE = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff));

interface HubBehaviour {
  /** Cut the connection after this many body bytes on the next N responses. */
  breakAfterBytes: number;
  breaksLeft: number;
  /** Ignore Range headers (answer 200 with the whole file). */
  ignoreRange: boolean;
  /** Announce a wrong size. */
  lieAboutLength: boolean;
}

let hub: Server;
let base = "";
const seen: Array<{ url: string; range: string | undefined; auth: string | undefined }> = [];
let behaviour: HubBehaviour;
const tmp = tempDir();

function serve(req: IncomingMessage, res: ServerResponse): void {
  seen.push({ url: req.url ?? "", range: req.headers.range, auth: req.headers.authorization });
  if (req.url === "/owner/repo/resolve/main/redirected.gguf") {
    res.writeHead(302, { location: "/owner/repo/resolve/main/model.gguf" }).end();
    return;
  }
  if (req.url !== "/owner/repo/resolve/main/model.gguf" && req.url !== "/owner/repo/resolve/main/sub/dir/model.gguf") {
    res.writeHead(404).end("Entry not found");
    return;
  }
  let start = 0;
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  if (m && !behaviour.ignoreRange) {
    start = Number(m[1]);
    if (start >= FILE.length) {
      res.writeHead(416, { "content-range": `bytes */${FILE.length}` }).end();
      return;
    }
    res.writeHead(206, { "content-range": `bytes ${start}-${FILE.length - 1}/${FILE.length}`, "content-length": FILE.length - start });
  } else {
    res.writeHead(200, { "content-length": behaviour.lieAboutLength ? FILE.length + 10 : FILE.length });
  }
  const body = FILE.subarray(start);
  if (behaviour.breaksLeft > 0) {
    behaviour.breaksLeft--;
    res.write(body.subarray(0, behaviour.breakAfterBytes), () => res.destroy());
    return;
  }
  if (behaviour.lieAboutLength) {
    res.write(body, () => res.destroy());
    return;
  }
  res.end(body);
}

beforeAll(async () => {
  hub = createServer(serve);
  await new Promise<void>((r) => hub.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
});
afterAll(() => {
  hub.close();
  tmp.cleanup();
});
beforeEach(() => {
  seen.length = 0;
  behaviour = { breakAfterBytes: 0, breaksLeft: 0, ignoreRange: false, lieAboutLength: false };
});

let n = 0;
const fresh = (): string => join(tmp.dir, `case-${n++}`, "model.gguf");
const url = (): string => `${base}/owner/repo/resolve/main/model.gguf`;

describe("download", () => {
  it("downloads, verifies and then reuses the cached copy", async () => {
    const dest = fresh();
    const progress: number[] = [];
    const r = await download(url(), dest, { onProgress: (done, total) => { expect(total).toBe(FILE.length); progress.push(done); } });
    expect(r).toMatchObject({ reused: false, resumedFromBytes: 0, sizeBytes: FILE.length });
    expect(readFileSync(dest).equals(FILE)).toBe(true);
    expect(progress.at(-1)).toBe(FILE.length);
    expect(existsSync(`${dest}.partial`)).toBe(false);
    seen.length = 0;
    const again = await download(url(), dest);
    expect(again.reused).toBe(true);
    expect(seen).toHaveLength(0);
  });

  it("resumes a broken transfer with a Range request, within the same run", async () => {
    behaviour.breakAfterBytes = 100_000;
    behaviour.breaksLeft = 2;
    const dest = fresh();
    await download(url(), dest, { retryDelayMs: 1 });
    expect(readFileSync(dest).equals(FILE)).toBe(true);
    expect(seen.map((s) => s.range)).toEqual([undefined, "bytes=100000-", "bytes=200000-"]);
  });

  it("resumes a partial file left by an earlier run", async () => {
    const dest = fresh();
    mkdirSync(join(dest, ".."), { recursive: true });
    writeFileSync(`${dest}.partial`, FILE.subarray(0, 123_456));
    const r = await download(url(), dest);
    expect(r.resumedFromBytes).toBe(123_456);
    expect(readFileSync(dest).equals(FILE)).toBe(true);
    expect(seen.map((s) => s.range)).toEqual(["bytes=123456-"]);
  });

  it("finishes a partial file that is already complete (416)", async () => {
    const dest = fresh();
    mkdirSync(join(dest, ".."), { recursive: true });
    writeFileSync(`${dest}.partial`, FILE);
    await download(url(), dest);
    expect(readFileSync(dest).equals(FILE)).toBe(true);
  });

  it("starts over when the server ignores the range", async () => {
    behaviour.ignoreRange = true;
    const dest = fresh();
    mkdirSync(join(dest, ".."), { recursive: true });
    writeFileSync(`${dest}.partial`, Buffer.alloc(5000, 7)); // wrong bytes: must not be kept
    await download(url(), dest);
    expect(readFileSync(dest).equals(FILE)).toBe(true);
  });

  it("never renames a short file into place", async () => {
    behaviour.lieAboutLength = true;
    behaviour.ignoreRange = true;
    const dest = fresh();
    await expect(download(url(), dest, { retries: 1, retryDelayMs: 1 })).rejects.toThrow(/bytes|terminated|failed/);
    expect(existsSync(dest)).toBe(false);
  });

  it("gives up at once on 404, with a hint", async () => {
    const dest = fresh();
    const err = await download(`${base}/owner/repo/resolve/main/missing.gguf`, dest, { retryDelayMs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toMatch(/404.*check the owner/);
    expect(seen).toHaveLength(1);
  });

  it("follows redirects (the hub redirects to a CDN)", async () => {
    const dest = fresh();
    await download(`${base}/owner/repo/resolve/main/redirected.gguf`, dest);
    expect(readFileSync(dest).equals(FILE)).toBe(true);
  });
});

describe("hf: model references", () => {
  it("parses OWNER/REPO/PATH and builds the resolve URL", () => {
    const ref = parseHfRef("hf:owner/repo/sub/dir/model.gguf");
    expect(ref).toEqual({ owner: "owner", repo: "repo", file: "sub/dir/model.gguf" });
    expect(hfUrl("https://hub.example", ref)).toBe("https://hub.example/owner/repo/resolve/main/sub/dir/model.gguf");
    for (const bad of ["hf:owner/repo", "hf:owner//x.gguf", "hf:owner/repo/../x.gguf", "hf:-x/repo/f.gguf"]) expect(() => parseHfRef(bad)).toThrow(/expected hf:/);
  });

  it("downloads into the cache folder once, sending HF_TOKEN", async () => {
    const cacheDir = join(tmp.dir, "cache");
    const lines: string[] = [];
    const env = { cacheDir, hfEndpoint: base, hfToken: "tok" };
    const r = await resolveModel("hf:owner/repo/sub/dir/model.gguf", env, (l) => lines.push(l));
    expect(r).toEqual({ path: join(cacheDir, "hf/owner/repo/sub/dir/model.gguf"), name: "owner/repo/sub/dir/model.gguf", isDemo: false });
    expect(readFileSync(r.path).equals(FILE)).toBe(true);
    expect(seen[0]!.auth).toBe("Bearer tok");
    const again = await resolveModel("hf:owner/repo/sub/dir/model.gguf", env, (l) => lines.push(l));
    expect(again.path).toBe(r.path);
    expect(seen).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/using cached/);
  });
});
