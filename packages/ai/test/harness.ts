/** The three wire formats under test, and cores composed over a fake server speaking them. */
import { MemoryBackend } from "@lash/backend-memory"
import {
  defineTool,
  InlineEffectController,
  type LanguageModelProvider,
  LashCore,
  type LashCoreConfig,
  type SessionId,
  SessionStore,
  type TurnEvent
} from "@lash/core"
import { LashlangAbilities } from "@lash/lashlang"
import { Chunk, type Duration, Effect, Layer, Option, Redacted, Schema, Stream } from "effect"
import { Anthropic, OpenAi, OpenAiCompatible } from "../src/index.js"
import { FakeModelServer, type FakeWire } from "../src/testing/index.js"

/** Keys the fake server must receive and no error or log may show. */
export const KEYS = { openai: "sk-openai-secret-1", anthropic: "sk-ant-secret-2", compat: "sk-compat-secret-3" }

/** What the tests vary per wire format. */
export interface WireCase {
  readonly name: string
  readonly wire: FakeWire
  readonly kind: string
  readonly provider: (
    url: string,
    options?: {
      readonly timeout?: Duration.DurationInput
      readonly idleTimeout?: Duration.DurationInput
      readonly temperature?: number
    }
  ) => Layer.Layer<LanguageModelProvider>
  /** The key header the server received. */
  readonly key: (headers: Readonly<Record<string, string>>) => string | undefined
  /** The key the provider was given. */
  readonly secret: string
}

export const wires: ReadonlyArray<WireCase> = [
  {
    name: "OpenAI Responses",
    wire: "openai-responses",
    kind: "openai",
    provider: (url, o = {}) =>
      OpenAi.layer({
        apiKey: Redacted.make(KEYS.openai),
        apiUrl: `${url}/v1`,
        ...(o.timeout === undefined ? {} : { timeout: o.timeout }),
        ...(o.idleTimeout === undefined ? {} : { idleTimeout: o.idleTimeout }),
        ...(o.temperature === undefined ? {} : { config: { temperature: o.temperature } })
      }),
    key: (h) => h["authorization"]?.replace(/^Bearer /, ""),
    secret: KEYS.openai
  },
  {
    name: "Anthropic Messages",
    wire: "anthropic-messages",
    kind: "anthropic",
    provider: (url, o = {}) =>
      Anthropic.layer({
        apiKey: Redacted.make(KEYS.anthropic),
        apiUrl: url,
        ...(o.timeout === undefined ? {} : { timeout: o.timeout }),
        ...(o.idleTimeout === undefined ? {} : { idleTimeout: o.idleTimeout }),
        ...(o.temperature === undefined ? {} : { config: { temperature: o.temperature } })
      }),
    key: (h) => h["x-api-key"],
    secret: KEYS.anthropic
  },
  {
    name: "Chat Completions (OpenAI-compatible)",
    wire: "chat-completions",
    kind: "openai-compatible",
    provider: (url, o = {}) =>
      OpenAiCompatible.layer({
        baseUrl: `${url}/v1`,
        apiKey: Redacted.make(KEYS.compat),
        ...(o.timeout === undefined ? {} : { timeout: o.timeout }),
        ...(o.idleTimeout === undefined ? {} : { idleTimeout: o.idleTimeout }),
        ...(o.temperature === undefined ? {} : { config: { temperature: o.temperature } })
      }),
    key: (h) => h["authorization"]?.replace(/^Bearer /, ""),
    secret: KEYS.compat
  }
]

/** `add({ a, b })` → `a + b`. */
export const add = defineTool({
  name: "add",
  description: "Adds two numbers",
  input: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
  output: Schema.Number,
  execute: ({ a, b }) => Effect.succeed(a + b)
})

/** A core over `provider` and a fresh memory backend; no retry waits unless the test sets them. */
export const coreOver = (
  provider: Layer.Layer<LanguageModelProvider>,
  config: Partial<LashCoreConfig> = {}
) =>
  Layer.provideMerge(
    LashCore.layer({
      mode: "standard",
      model: { id: "model-1", limits: { contextWindowTokens: 100_000, outputTokenCapacity: 256 } },
      tools: [add],
      systemPrompt: "You are terse.",
      providerRetry: { maxAttempts: 3, baseDelay: 0, maxDelay: 0 },
      rlm: { abilities: LashlangAbilities.all },
      ...config
    }).pipe(Layer.provide(Layer.mergeAll(provider, InlineEffectController.layer))),
    MemoryBackend.layer()
  )

/** Every event of a streamed turn. */
export const collect = <E>(stream: Stream.Stream<TurnEvent, E>) =>
  Effect.map(Stream.runCollect(stream), (events) => Chunk.toReadonlyArray(events))

/** The committed head revision of a session (0: created, never committed). */
export const headRevision = (sessionId: string) =>
  Effect.flatMap(
    SessionStore,
    (store) =>
      Effect.map(store.load(sessionId as SessionId), Option.match({ onNone: () => -1, onSome: (s) => s.headRevision }))
  )

/**
 * Starts a fake server in the test's scope and runs `body` with a core whose provider (of wire case `w`) talks to it.
 */
export const withServer = <A, E>(
  w: WireCase,
  providerOptions: Parameters<WireCase["provider"]>[1],
  config: Partial<LashCoreConfig>,
  body: (server: FakeModelServer.FakeModelServer) => Effect.Effect<A, E, LashCore | SessionStore>
) =>
  Effect.flatMap(
    FakeModelServer.make,
    (server) => body(server).pipe(Effect.provide(coreOver(w.provider(server.url, providerOptions), config)))
  )
