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
  type LlmStreamPart,
  LlmTransportError,
  type TokenUsage,
  type ToolCallRequest
} from "@lash/core"
import { Canonical } from "@lash/lashlang"
import { Clock, type Duration, Effect, Exit, type Layer, Ref, Schema, Stream } from "effect"

/** A scripted provider failure. @since 0.1.0 */
export interface ScriptedError {
  readonly retryable?: boolean
  readonly status?: number
  readonly retryAfterMs?: number
  readonly detail?: string
}

/**
 * One scripted reply. Every reply can be streamed (`TurnRequest.stream`): its text arrives in pieces of the
 * builder's `streamChunkSize`. `{ stream: [...] }` scripts the pieces themselves, and what happens after them: the
 * reply completes, fails with `error` (a mid-stream failure), or, with `truncated`, the stream just ends.
 *
 * @since 0.1.0
 */
export type ScriptedReply =
  | string
  | { readonly text: string; readonly reasoning?: string; readonly usage?: Partial<TokenUsage> }
  | { readonly lashlang: string }
  | { readonly toolCalls: ReadonlyArray<ToolCallRequest>; readonly text?: string }
  | { readonly error: ScriptedError }
  | { readonly response: LlmResponse }
  | {
    readonly stream: ReadonlyArray<string>
    readonly usage?: Partial<TokenUsage>
    readonly error?: ScriptedError
    readonly truncated?: boolean
  }

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
    readonly error: ScriptedError
  } | undefined
  readonly latency: Duration.DurationInput | undefined
  readonly chunkSize: number
  readonly chunkDelay: Duration.DurationInput | undefined
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
  completeError(error?: ScriptedError): TestProviderBuilder
  latency(delay: Duration.DurationInput): TestProviderBuilder
  /** Streamed replies arrive in pieces of at most `size` characters (default 16). */
  streamChunkSize(size: number): TestProviderBuilder
  /** Streamed replies wait `delay` before each piece (default: none). */
  chunkDelay(delay: Duration.DurationInput): TestProviderBuilder
  /** Synchronous; fresh state per build. */
  build(): TestProvider
}

/** A built scripted model. @since 0.1.0 */
export interface TestProvider extends LlmProvider {
  readonly stream: NonNullable<LlmProvider["stream"]>
  readonly layer: Layer.Layer<LanguageModelProvider>
  readonly push: (...replies: ReadonlyArray<ScriptedReply>) => Effect.Effect<void>
  readonly requests: Effect.Effect<ReadonlyArray<RecordedRequest>>
  readonly callCount: Effect.Effect<number>
  readonly pending: Effect.Effect<number>
  readonly assertComplete: Effect.Effect<void, TestProviderIncomplete>
}

const ZERO: TokenUsage = { input: 0, output: 0 }

const lashlangText = (code: string): string => "```lashlang\n" + code.trim() + "\n```"

const scriptedFailure = (kind: string, error: ScriptedError) =>
  new LlmTransportError({
    providerId: kind,
    retryable: error.retryable ?? false,
    ...(error.status === undefined ? {} : { status: error.status }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    detail: error.detail ?? "scripted failure"
  })

const toResponse = (kind: string, reply: ScriptedReply): Effect.Effect<LlmResponse, LlmTransportError> => {
  if (typeof reply === "string") return Effect.succeed({ text: reply, toolCalls: [], usage: ZERO })
  if ("stream" in reply) {
    if (reply.error !== undefined) return Effect.fail(scriptedFailure(kind, reply.error))
    if (reply.truncated === true) {
      return Effect.fail(new LlmTransportError({ providerId: kind, retryable: true, detail: "scripted truncation" }))
    }
    return Effect.succeed({ text: reply.stream.join(""), toolCalls: [], usage: { ...ZERO, ...reply.usage } })
  }
  if ("error" in reply) return Effect.fail(scriptedFailure(kind, reply.error))
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
  const counter = Ref.unsafeMake(0)

  /** Finds the answer of a request (rule, queue, handler, fallback); the request is recorded by `record`. */
  const pick = (req: LlmRequest) =>
    Effect.gen(function*() {
      if (spec.latency !== undefined) yield* Effect.sleep(spec.latency)
      const atMs = yield* Clock.currentTimeMillis
      const rendered = render(req)
      const ruleIndex = yield* Ref.modify(uses, (counts) => {
        const i = spec.rules.findIndex(
          (rule, k) => (rule.times === undefined || counts[k]! < rule.times) && matches(rule.match, req, rendered)
        )
        return [i, i < 0 ? counts : counts.map((c, k) => (k === i ? c + 1 : c))] as const
      })
      const index = yield* Ref.modify(counter, (n) => [n, n + 1] as const)
      let source: RecordedRequest["source"]
      let scripted: ScriptedReply | undefined = undefined
      let answer: Effect.Effect<LlmResponse, LlmTransportError>
      if (ruleIndex >= 0) {
        const rule = spec.rules[ruleIndex]!
        source = "rule"
        scripted = typeof rule.reply === "function" ? rule.reply(req) : rule.reply
        answer = toResponse(spec.kind, scripted)
      } else {
        const head = yield* Ref.modify(queue, (q) => [q[0], q.slice(1)] as const)
        if (head !== undefined) {
          source = "queue"
          scripted = head
          answer = toResponse(spec.kind, head)
        } else if (spec.fallback?.type === "handler") {
          source = "handler"
          const out = spec.fallback.handler(req, { index })
          if (!Effect.isEffect(out)) scripted = out
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
      const record = (failed: boolean) =>
        Ref.update(recorded, (r) =>
          [...r, { index, request: req, rendered, atMs, source, failed }].sort((a, b) => a.index - b.index))
      return { scripted, answer, record }
    })

  const complete = (req: LlmRequest): Effect.Effect<LlmResponse, LlmTransportError> =>
    Effect.gen(function*() {
      const { answer, record } = yield* pick(req)
      const exit = yield* Effect.exit(answer)
      yield* record(exit._tag === "Failure")
      return yield* exit
    })

  const pieces = (text: string): ReadonlyArray<string> => {
    const out: Array<string> = []
    for (let i = 0; i < text.length; i += spec.chunkSize) out.push(text.slice(i, i + spec.chunkSize))
    return out
  }

  const stream = (req: LlmRequest): Stream.Stream<LlmStreamPart, LlmTransportError> =>
    Stream.unwrap(
      Effect.map(pick(req), ({ answer, record, scripted }) => {
        const paced = (chunks: ReadonlyArray<string>) =>
          Stream.fromIterable(chunks).pipe(
            Stream.mapEffect((text) =>
              spec.chunkDelay === undefined
                ? Effect.succeed<LlmStreamPart>({ type: "text_delta", text })
                : Effect.as(Effect.sleep(spec.chunkDelay), { type: "text_delta", text } as LlmStreamPart)
            )
          )
        const ending = (
          exit: Exit.Exit<LlmResponse, LlmTransportError>
        ): Stream.Stream<LlmStreamPart, LlmTransportError> =>
          Exit.match(exit, {
            onFailure: (cause) => Stream.failCause(cause),
            onSuccess: (response) => Stream.make<Array<LlmStreamPart>>({ type: "response", response })
          })
        if (scripted !== undefined && typeof scripted === "object" && "stream" in scripted) {
          // Scripted pieces, then the scripted end: a reply, a failure, or a stream that just stops.
          return Stream.concat(
            paced(scripted.stream),
            Stream.unwrap(
              Effect.map(Effect.exit(answer), (exit) =>
                Stream.concat(
                  Stream.execute(record(exit._tag === "Failure" || scripted.truncated === true)),
                  scripted.truncated === true ? Stream.empty : ending(exit)
                ))
            )
          )
        }
        return Stream.unwrap(
          Effect.map(Effect.exit(answer), (exit) =>
            Stream.concat(
              Stream.execute(record(exit._tag === "Failure")),
              Exit.isSuccess(exit)
                ? Stream.concat(
                  exit.value.reasoning === undefined
                    ? Stream.empty
                    : Stream.make<Array<LlmStreamPart>>({ type: "reasoning_delta", text: exit.value.reasoning }),
                  Stream.concat(paced(pieces(exit.value.text)), ending(exit))
                )
                : ending(exit)
            ))
        )
      })
    )

  const provider: TestProvider = {
    kind: spec.kind,
    complete,
    stream,
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
  streamChunkSize: (size) => builderOf({ ...spec, chunkSize: Math.max(1, Math.floor(size)) }),
  chunkDelay: (delay) => builderOf({ ...spec, chunkDelay: delay }),
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
    builderOf({
      kind: "test",
      queue: [],
      rules: [],
      fallback: undefined,
      latency: undefined,
      chunkSize: 16,
      chunkDelay: undefined
    }),
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
