/**
 * The core the re-drive tests share between the test process and its child writer: RLM mode, every ability, on a
 * given storage and effect controller, and a provider that can hold its first call until the test releases it.
 */
import {
  InlineEffectController,
  JournaledEffectController,
  LanguageModelProvider,
  LashCore,
  type LashStorage,
  type LlmProvider,
  type StorageSignals
} from "@lash/core"
import { LashlangAbilities } from "@lash/lashlang"
import { type Context, Deferred, Effect, Layer } from "effect"

/** The session both writers commit to. */
export const SESSION = "redrive-session"

const fence = (code: string) => "```lashlang\n" + code + "\n```"

/** The block of the re-driven turn: it starts one process, then submits. */
export const STARTING_BLOCK = fence(`process p(n: int) {
  finish n
}
h = start p(n: 1)
submit "started"`)

/** The block of the other writer's turn. */
export const OTHER_BLOCK = fence(`submit "other"`)

/** A provider answering `block`; with `gate`, its first call signals `entered` and waits for `release`. */
export const blockProvider = (
  block: string,
  gate?: { readonly entered: Deferred.Deferred<void>; readonly release: Deferred.Deferred<void> },
  calls: { count: number } = { count: 0 }
): LlmProvider => ({
  kind: "redrive",
  complete: () =>
    Effect.gen(function*() {
      calls.count++
      if (gate !== undefined && calls.count === 1) {
        yield* Deferred.succeed(gate.entered, undefined)
        yield* Deferred.await(gate.release)
      }
      return { text: block, toolCalls: [], usage: { input: 1, output: 1 } }
    })
})

/** A core over a built storage context, with the inline or the journaled controller. */
export const redriveCore = (
  storage: Context.Context<LashStorage | StorageSignals>,
  provider: LlmProvider,
  controller: "inline" | "journaled"
) =>
  LashCore.layer({
    mode: "rlm",
    model: { id: "redrive-model", limits: { contextWindowTokens: 8192 } },
    rlm: { abilities: LashlangAbilities.all },
    worker: { leaseTtl: "1 second", renewEvery: "250 millis" }
  }).pipe(
    Layer.provide(
      Layer.mergeAll(
        LanguageModelProvider.single(provider),
        controller === "inline" ? InlineEffectController.layer : JournaledEffectController.layer
      )
    ),
    Layer.provide(Layer.succeedContext(storage))
  )
