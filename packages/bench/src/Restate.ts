/**
 * B8's Restate peer: a local `restate-server` (loopback only) and a Node SDK endpoint in this process, running a
 * 3-step durable handler (`ctx.run` × 3), timed from the ingress call to its result.
 *
 * The server and SDK are NOT workspace dependencies: the server package is a ~220 MB native binary that every
 * `pnpm install` (and so every CI run) would download for a benchmark CI never runs. The first `pnpm bench` that
 * reaches B8 installs the pinned versions into a cache directory (`LASH_BENCH_CACHE`, default
 * `~/.cache/lash-bench`) with npm, and later runs reuse it.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs"
import {
  createServer as createHttp2Server,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse
} from "node:http2"
import { createServer } from "node:net"
import { homedir, tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { summarize, type Summary, timeAsync } from "./Stats.js"

export const RESTATE_SERVER_VERSION = "1.7.12"
export const RESTATE_SDK_VERSION = "1.17.2"

const cacheDir = () =>
  join(
    process.env["LASH_BENCH_CACHE"] ?? join(homedir(), ".cache", "lash-bench"),
    `restate-${RESTATE_SERVER_VERSION}-sdk-${RESTATE_SDK_VERSION}`
  )

const serverBinary = (dir: string) =>
  join(
    dir,
    "node_modules",
    "@restatedev",
    `restate-server-${process.platform}-${process.arch}`,
    "bin",
    "restate-server"
  )
const sdkEntry = (dir: string) => join(dir, "node_modules", "@restatedev", "restate-sdk", "dist", "index.js")

/** Installs the pinned server and SDK into the cache once; returns the directory. Throws with npm's reason. */
const ensureInstalled = (): string => {
  const dir = cacheDir()
  if (existsSync(serverBinary(dir)) && existsSync(sdkEntry(dir))) return dir
  mkdirSync(dir, { recursive: true })
  execFileSync(
    "npm",
    [
      "install",
      "--prefix",
      dir,
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      `@restatedev/restate-server@${RESTATE_SERVER_VERSION}`,
      `@restatedev/restate-sdk@${RESTATE_SDK_VERSION}`
    ],
    { stdio: ["ignore", "ignore", "pipe"], timeout: 300_000 }
  )
  if (!existsSync(serverBinary(dir))) {
    throw new Error(
      `no restate-server binary for ${process.platform}-${process.arch} in @restatedev/restate-server ${RESTATE_SERVER_VERSION}`
    )
  }
  return dir
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.on("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** What the Restate run reports. */
export interface RestateRun {
  readonly summary: Summary
  readonly startupMs: number
  readonly note: string
}

/**
 * Runs `warmup + n` sequential invocations of the 3-step handler and checks every result (a fast wrong answer fails).
 */
export const runRestate = async (n: number, warmup: number): Promise<RestateRun> => {
  const dir = ensureInstalled()
  // SDK 1.17 calls `Promise.withResolvers` (Node 22+); this machine runs Node 20. The shim is the standard semantics.
  const P = Promise as unknown as { withResolvers?: unknown }
  if (typeof P.withResolvers !== "function") {
    P.withResolvers = function<T>(this: PromiseConstructor) {
      let resolve!: (v: T) => void
      let reject!: (e: unknown) => void
      const promise = new this<T>((a, b) => {
        resolve = a
        reject = b
      })
      return { promise, resolve, reject }
    }
  }
  process.env["RESTATE_LOGGING"] ??= "ERROR"
  const restate = (await import(pathToFileURL(sdkEntry(dir)).href)) as {
    service: (d: unknown) => unknown
    endpoint: () => {
      bind: (s: unknown) => { http2Handler: () => (req: Http2ServerRequest, res: Http2ServerResponse) => void }
    }
  }
  const [ingress, admin, fabric, sdkPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
  const base = mkdtempSync(join(tmpdir(), "lash-bench-restate-"))
  let child: ChildProcess | undefined
  let endpoint: Http2Server | undefined
  let log = ""
  try {
    const t0 = process.hrtime.bigint()
    child = spawn(
      serverBinary(dir),
      ["--base-dir", base, "--node-name", "bench", "--no-logo", "--listen-mode", "tcp"],
      {
        env: {
          ...process.env,
          RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingress}`,
          RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${admin}`,
          RESTATE_BIND_ADDRESS: `127.0.0.1:${fabric}`,
          RESTATE_DISABLE_TELEMETRY: "true",
          RESTATE_LOG_FILTER: "error"
        },
        stdio: ["ignore", "pipe", "pipe"]
      }
    )
    child.stdout?.on("data", (d) => (log = (log + String(d)).slice(-4000)))
    child.stderr?.on("data", (d) => (log = (log + String(d)).slice(-4000)))
    let up = false
    for (let i = 0; i < 300 && !up; i++) {
      try {
        up = (await fetch(`http://127.0.0.1:${admin}/health`)).ok
      } catch {
        await sleep(100)
      }
    }
    if (!up) throw new Error(`restate-server did not become healthy: ${log.slice(-300)}`)
    const startupMs = Number(process.hrtime.bigint() - t0) / 1e6

    const service = restate.service({
      name: "bench",
      handlers: {
        run: async (ctx: { run: <T>(name: string, f: () => T) => Promise<T> }, input: { readonly v: number }) => {
          const a = await ctx.run("step1", () => ({ v: input.v + 1 }))
          const b = await ctx.run("step2", () => ({ v: a.v + 1 }))
          return ctx.run("step3", () => ({ v: b.v + 1 }))
        }
      }
    })
    // Our own HTTP/2 server around the SDK's handler (not `listen`), so the bench can close it and exit.
    const server = createHttp2Server(restate.endpoint().bind(service).http2Handler())
    endpoint = server
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(sdkPort, "127.0.0.1", () => resolve())
    })
    const registered = await fetch(`http://127.0.0.1:${admin}/deployments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ uri: `http://127.0.0.1:${sdkPort}` })
    })
    if (!registered.ok) {
      throw new Error(`deployment registration answered ${registered.status}: ${await registered.text()}`)
    }

    const invoke = async (v: number) => {
      // The first calls after registration can meet a 404/503 while the deployment propagates to the ingress.
      for (let attempt = 0;; attempt++) {
        const r = await fetch(`http://127.0.0.1:${ingress}/bench/run`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ v })
        })
        if (r.ok) {
          const body = (await r.json()) as { readonly v?: number }
          if (body.v !== v + 3) throw new Error(`restate handler answered ${JSON.stringify(body)} for ${v}`)
          return
        }
        if (attempt > 50 || (r.status !== 404 && r.status !== 503)) {
          throw new Error(`restate ingress answered ${r.status}: ${await r.text()}`)
        }
        await sleep(100)
      }
    }
    const samples = await timeAsync(n, warmup, invoke)
    return {
      summary: summarize(samples),
      startupMs,
      note:
        `restate-server ${RESTATE_SERVER_VERSION} (single node, loopback, default dev config: RocksDB WAL fsync on) + Node SDK ${RESTATE_SDK_VERSION} endpoint in this process; ingress POST → 3 × ctx.run → result`
    }
  } finally {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child!.once("exit", r))
      child.kill("SIGTERM")
      await Promise.race([exited, sleep(10_000).then(() => child!.kill("SIGKILL"))])
    }
    // After the server is gone, so its HTTP/2 session to the endpoint is closed too.
    if (endpoint !== undefined) {
      const server = endpoint
      await Promise.race([new Promise((r) => server.close(r)), sleep(2_000)])
    }
    rmSync(base, { recursive: true, force: true })
  }
}
