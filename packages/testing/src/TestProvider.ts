/**
 * `TestProvider`: a scripted model. It implements `LlmProvider`, so the core cannot tell it from a real one. Each
 * call is answered by the first matching `when` rule with uses left, else the head of the reply queue, else the
 * `complete`/`completeError` fallback; anything else is an unexpected call that fails without retry.
 *
 * @since 0.1.0
 */
import {
  LanguageModelProvider,
  type LlmProvider,
  type LlmRequest,
  type LlmResponse,
  LlmTransportError,
  type TokenUsage,
  type ToolCallRequest
} from "@lash/core"
import { Canonical } from "@lash/lashlang"
import { Clock, type Duration, Effect, type Layer, Ref, Schema } from "effect"

/** One scripted reply. @since 0.1.0 */
export type ScriptedReply =
  | string
  | { readonly text: string; readonly reasoning?: string; readonly usage?: Partial<TokenUsage> }
  | { readonly lashlang: string }
  | { readonly toolCalls: ReadonlyArray<ToolCallRequest>; readonly text?: string }
  | { readonly error: { readonly retryable?: boolean; readonly status?: number } }
  | { readonly response: LlmResponse }

/** Matches a request: strings and RegExps are tested against `render(req)` without system messages. @since 0.1.0 */
export type RequestMatcher = string | RegExp | ((req: LlmRequest) => boolean)

/** A request the provider saw. @since 0.1.0 */
export interface RecordedRequest {
  readonly index: number
  readonly request: LlmRequest
  readonly rendered: string
  readonly atMs: number
  readonly source: "rule" | "queue" | "handler" | "unexpected"
  readonly failed: boolean
}

/** Replies were left unused, a limited rule was not used up, or an unexpected call happened. @since 0.1.0 */
export class TestProviderIncomplete extends Schema.TaggedError<TestProviderIncomplete>()("TestProviderIncomplete", {
  unconsumed: Schema.Number,
  unexpectedCalls: Schema.Array(Schema.String)
}) {}

type Handler = (
  req: LlmRequest,
  call: { readonly index: number }
) => ScriptedReply | Effect.Effect<LlmResponse, LlmTransportError>

interface Rule {
  readonly match: RequestMatcher
  readonly reply: ScriptedReply | ((req: LlmRequest) => ScriptedReply)
  readonly times: number | undefined
}

interface Spec {
  readonly kind: string
  readonly queue: ReadonlyArray<ScriptedReply>
  readonly rules: ReadonlyArray<Rule>
  readonly fallback: { readonly type: "handler"; readonly handler: Handler } | {
    readonly type: "error"
    readonly error: { readonly retryable?: boolean; readonly status?: number }
  } | undefined
  readonly latency: Duration.DurationInput | undefined
}

/** An immutable builder: every method returns a new builder. @since 0.1.0 */
export interface TestProviderBuilder {
  kind(kind: string): TestProviderBuilder
  reply(...replies: ReadonlyArray<ScriptedReply>): TestProviderBuilder
  when(
    match: RequestMatcher,
    reply: ScriptedReply | ((req: LlmRequest) => ScriptedReply),
    options?: { readonly times?: number }
  ): TestProviderBuilder
  complete(handler: Handler): TestProviderBuilder
  completeError(error?: { readonly retryable?: boolean; readonly status?: number }): TestProviderBuilder
  latency(delay: Duration.DurationInput): TestProviderBuilder
  /** Synchronous; fresh state per build. */
  build(): TestProvider
}

/** A built scripted model. @since 0.1.0 */
export interface TestProvider extends LlmProvider {
  readonly layer: Layer.Layer<LanguageModelProvider>
  readonly push: (...replies: ReadonlyArray<ScriptedReply>) => Effect.Effect<void>
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  readonly callCount: Effect.Effect<number>
  readonly pending: Effect.Effect<number>
  readonly assertComplete: Effect.Effect<void, TestProviderIncomplete>
}

const ZERO: TokenUsage = { input: 0, output: 0 }

const lashlangText = (code: string): string => "```lashlang\n" + code.trim() + "\n```"

const toResponse = (kind: string, reply: ScriptedReply): Effect.Effect<LlmResponse, LlmTransportError> => {
  if (typeof reply === "string") return Effect.succeed({ text: reply, toolCalls: [], usage: ZERO })
  if ("error" in reply) {
    return Effect.fail(
      new LlmTransportError({
        providerId: kind,
        retryable: reply.error.retryable ?? false,
        ...(reply.error.status === undefined ? {} : { status: reply.error.status }),
        detail: "scripted failure"
      })
    )
  }
  if ("response" in reply) return Effect.succeed(reply.response)
  if ("lashlang" in reply) return Effect.succeed({ text: lashlangText(reply.lashlang), toolCalls: [], usage: ZERO })
  if ("toolCalls" in reply) return Effect.succeed({ text: reply.text ?? "", toolCalls: reply.toolCalls, usage: ZERO })
  return Effect.succeed({
    text: reply.text,
    ...(reply.reasoning === undefined ? {} : { reasoning: reply.reasoning }),
    toolCalls: [],
    usage: { ...ZERO, ...reply.usage }
  })
}

/**
 * One line per message, `<role>: <content>`, then `tool_calls: <canonical JSON>` when a message has tool calls.
 *
 * @since 0.1.0
 */
export const render = (req: LlmRequest, options: { readonly withSystem?: boolean } = {}): string =>
  req.messages
    .filter((m) => options.withSystem === true || m.role !== "system")
    .flatMap((m) => {
      const lines = [`${m.role}: ${m.content}`]
      if (m.toolCalls !== undefined && m.toolCalls.length > 0) {
        lines.push(`tool_calls: ${Canonical.canonicalJsonUnsafe(m.toolCalls)}`)
      }
      return lines
    })
    .join("\n")

const matches = (matcher: RequestMatcher, req: LlmRequest, rendered: string): boolean =>
  typeof matcher === "function"
    ? matcher(req)
    : typeof matcher === "string"
    ? rendered.includes(matcher)
    : matcher.test(rendered)

const build = (spec: Spec): TestProvider => {
  const queue = Ref.unsafeMake<ReadonlyArray<ScriptedReply>>(spec.queue)
  const uses = Ref.unsafeMake<ReadonlyArray<number>>(spec.rules.map(() => 0))
  const recorded = Ref.unsafeMake<ReadonlyArray<RecordedRequest>>([])

  const complete = (req: LlmRequest): Effect.Effect<LlmResponse, LlmTransportError> =>
    Effect.gen(function*() {
      if (spec.latency !== undefined) yield* Effect.sleep(spec.latency)
      const atMs = yield* Clock.currentTimeMillis
      const rendered = render(req)
      const index = (yield* Ref.get(recorded)).length
      const ruleIndex = yield* Ref.modify(uses, (counts) => {
        const i = spec.rules.findIndex(
          (rule, k) => (rule.times === undefined || counts[k]! < rule.times) && matches(rule.match, req, rendered)
        )
        return [i, i < 0 ? counts : counts.map((c, k) => (k === i ? c + 1 : c))] as const
      })
      let source: RecordedRequest["source"]
      let answer: Effect.Effect<LlmResponse, LlmTransportError>
      if (ruleIndex >= 0) {
        const rule = spec.rules[ruleIndex]!
        source = "rule"
        answer = toResponse(spec.kind, typeof rule.reply === "function" ? rule.reply(req) : rule.reply)
      } else {
        const head = yield* Ref.modify(queue, (q) => [q[0], q.slice(1)] as const)
        if (head !== undefined) {
          source = "queue"
          answer = toResponse(spec.kind, head)
        } else if (spec.fallback?.type === "handler") {
          source = "handler"
          const out = spec.fallback.handler(req, { index })
          answer = Effect.isEffect(out) ? out : toResponse(spec.kind, out)
        } else if (spec.fallback?.type === "error") {
          source = "handler"
          answer = toResponse(spec.kind, { error: spec.fallback.error })
        } else {
          source = "unexpected"
          answer = Effect.fail(
            new LlmTransportError({
              providerId: spec.kind,
              retryable: false,
              detail: "unexpected call: no scripted reply left"
            })
          )
        }
      }
      const exit = yield* Effect.exit(answer)
      yield* Ref.update(
        recorded,
        (r) => [...r, { index, request: req, rendered, atMs, source, failed: exit._tag === "Failure" }]
      )
      return yield* exit
    })

  const provider: TestProvider = {
    kind: spec.kind,
    complete,
    get layer() {
      return LanguageModelProvider.single(provider)
    },
    push: (...replies) => Ref.update(queue, (q) => [...q, ...replies]),
    requests: Ref.get(recorded),
    callCount: Effect.map(Ref.get(recorded), (r) => r.length),
    pending: Effect.gen(function*() {
      const q = yield* Ref.get(queue)
      const counts = yield* Ref.get(uses)
      const rulesLeft = spec.rules.reduce(
        (n, rule, k) => n + (rule.times === undefined ? 0 : Math.max(0, rule.times - counts[k]!)),
        0
      )
      return q.length + rulesLeft
    }),
    assertComplete: Effect.gen(function*() {
      const unconsumed = yield* provider.pending
      const unexpected = (yield* Ref.get(recorded)).filter((r) => r.source === "unexpected").map((r) => r.rendered)
      if (unconsumed > 0 || unexpected.length > 0) {
        return yield* Effect.fail(new TestProviderIncomplete({ unconsumed, unexpectedCalls: unexpected }))
      }
    })
  }
  return provider
}

const builderOf = (spec: Spec): TestProviderBuilder => ({
  kind: (kind) => builderOf({ ...spec, kind }),
  reply: (...replies) => builderOf({ ...spec, queue: [...spec.queue, ...replies] }),
  when: (match, reply, options) =>
    builderOf({ ...spec, rules: [...spec.rules, { match, reply, times: options?.times }] }),
  complete: (handler) => builderOf({ ...spec, fallback: { type: "handler", handler } }),
  completeError: (error = {}) => builderOf({ ...spec, fallback: { type: "error", error } }),
  latency: (delay) => builderOf({ ...spec, latency: delay }),
  build: () => build(spec)
})

/**
 * The scripted model's constructors.
 *
 * @since 0.1.0
 */
export const TestProvider = {
  /** An empty builder (kind "test"). */
  builder: (): TestProviderBuilder =>
    builderOf({ kind: "test", queue: [], rules: [], fallback: undefined, latency: undefined }),
  /** A provider answering every call with `complete`. */
  make: (
    o: { readonly kind: string; readonly complete: (req: LlmRequest) => Effect.Effect<LlmResponse, LlmTransportError> }
  ): TestProvider => TestProvider.builder().kind(o.kind).complete((req) => o.complete(req)).build(),
  /** `LanguageModelProvider.single` of {@link TestProvider.make}. */
  layer: (
    o: { readonly kind: string; readonly complete: (req: LlmRequest) => Effect.Effect<LlmResponse, LlmTransportError> }
  ): Layer.Layer<LanguageModelProvider> => TestProvider.make(o).layer,
  /** Answers in order; fails once exhausted. */
  script: (replies: ReadonlyArray<ScriptedReply>, o?: { readonly kind?: string }): TestProvider =>
    TestProvider.builder().kind(o?.kind ?? "test").reply(...replies).build(),
  /** A response whose text is `code` in a ```lashlang fence. */
  lashlang: (code: string): LlmResponse => ({ text: lashlangText(code), toolCalls: [], usage: ZERO }),
  /** A provider whose every call fails. */
  failing: (o: { readonly retryable: boolean; readonly kind?: string }): TestProvider =>
    TestProvider.builder().kind(o.kind ?? "test").completeError({ retryable: o.retryable }).build(),
  render
}
