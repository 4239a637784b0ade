/**
 * The quickstart on a "real" model: `LASH_PROVIDER` selects a provider of @lash/ai, whose keys and URLs come from the
 * environment (Effect Config); here each provider's URL points at @lash/ai's fake server, which speaks its wire
 * format. The program streams the model's reply and survives the restart. It runs in this process, with the
 * settings given by a ConfigProvider and what it prints captured (`capture.ts`).
 */
import { describe, expect, it } from "@effect/vitest"
import { FakeModelServer, FakeReply } from "@lash/ai/testing"
import { Effect, Exit } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { quickstart } from "../src/main.js"
import { runCaptured } from "./capture.js"

const REGISTER = "I'll register it.\n```lashlang\n" +
  "process morning(tick: clock.Tick) {\n" +
  "  w = await tools.weather({ city: \"Lisbon\" })?\n" +
  "  wake format(\"{}: {} °C in {}\", tick.scheduled_at, w.celsius, w.city)\n" +
  "  finish w\n" +
  "}\n" +
  "handle = await triggers.register({ source: clock.Alarm({ at: \"08:00\" }), target: morning,\n" +
  "                                   inputs: { tick: trigger.event }, name: \"morning weather\" })?\n" +
  "submit format(\"Registered {} ({}).\", handle.id, handle.name)\n```"

const SECRET = "sk-quickstart-test-secret"

const cases = [
  {
    provider: "openai",
    env: (url: string) => ({ OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: `${url}/v1` }),
    path: "/v1/responses",
    model: "gpt-4.1-mini"
  },
  {
    provider: "anthropic",
    env: (url: string) => ({ ANTHROPIC_API_KEY: SECRET, ANTHROPIC_BASE_URL: url }),
    path: "/v1/messages",
    model: "claude-sonnet-4-5"
  },
  {
    provider: "openai-compatible",
    env: (url: string) => ({
      OPENAI_COMPATIBLE_BASE_URL: `${url}/v1`,
      OPENAI_COMPATIBLE_API_KEY: SECRET,
      LASH_MODEL: "llama3.2"
    }),
    path: "/v1/chat/completions",
    model: "llama3.2"
  }
] as const

/** Runs the quickstart with `env` as its settings; returns how it ended and everything it printed. */
const run = (env: Record<string, string>) => runCaptured(quickstart, env)

describe("the quickstart on a real model (LASH_PROVIDER)", () => {
  for (const c of cases) {
    it.scopedLive(
      `${c.provider}: the first turn streams, the trigger survives the restart, the wake is answered`,
      () =>
        Effect.gen(function*() {
          const server = yield* FakeModelServer.make
          server.reply(
            FakeReply.text(REGISTER, { chunkSize: 16 }),
            FakeReply.text("```lashlang\nsubmit \"Noted.\"\n```")
          )
          const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lash-quickstart-test-"))
          yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
          const { exit, printed: stdout } = yield* run({
            LASH_PROVIDER: c.provider,
            LASH_DB: path.join(dir, "lash.db"),
            ...c.env(server.url)
          })
          expect(exit).toEqual(Exit.void)
          expect(stdout).toContain(`rlm mode, ${
            c.provider === "openai-compatible"
              ? "llama3.2 on an OpenAI-compatible server"
              : c.provider === "openai"
              ? "OpenAI gpt-4.1-mini"
              : "Anthropic claude-sonnet-4-5"
          }`)
          // The prose streamed as text, the block as code; the turn ran it and committed.
          expect(stdout).toContain("I'll register it.")
          expect(stdout).toContain("┌ lashlang (streaming)")
          expect(stdout).toContain("submitted \"Registered trigger:1 (morning weather).\"")
          expect(stdout).toContain("[runtime A] turn committed at revision 1.")
          expect(stdout).toContain("found trigger trigger:1 \"morning weather\"")
          expect(stdout).toContain("assistant: Noted.")
          // The key went to the server as a header and nowhere into the output.
          expect(stdout).not.toContain(SECRET)
          const requests = server.requests()
          expect(requests.map((r) => [r.path, r.stream, r.body.model])).toEqual([
            [c.path, true, c.model],
            [c.path, false, c.model]
          ])
          expect(JSON.stringify(requests[0]!.headers)).toContain(SECRET)
        })
    )
  }

  it.scopedLive("an unknown LASH_PROVIDER is refused with the expected names", () =>
    Effect.gen(function*() {
      const { exit } = yield* run({ LASH_PROVIDER: "gemini" })
      expect(Exit.isFailure(exit) ? String(exit.cause) : "succeeded").toContain(
        "expected openai, anthropic or openai-compatible"
      )
    }))

  it.scopedLive("openai-compatible without LASH_MODEL names the missing setting", () =>
    Effect.gen(function*() {
      const { exit } = yield* run({
        LASH_PROVIDER: "openai-compatible",
        OPENAI_COMPATIBLE_BASE_URL: "http://127.0.0.1:9/v1"
      })
      expect(Exit.isFailure(exit) ? String(exit.cause) : "succeeded").toContain("LASH_MODEL")
    }))
})
