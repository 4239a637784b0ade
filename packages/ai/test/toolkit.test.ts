import { Tool, Toolkit } from "@effect/ai"
import { describe, expect, it } from "@effect/vitest"
import { MemoryBackend } from "@lash/backend-memory"
import { InlineEffectController, LashCore, TurnInput } from "@lash/core"
import { TestProvider } from "@lash/testing/provider"
import { Effect, Layer, Option, Schema } from "effect"

/** An @effect/ai toolkit, written as @effect/ai's own docs write one. */
const GetWeather = Tool.make("get_weather", {
  description: "The weather in a city on a day",
  parameters: { city: Schema.String.pipe(Schema.minLength(2)), day: Schema.DateFromString },
  success: Schema.Struct({ city: Schema.String, celsius: Schema.Number, weekday: Schema.Number }),
  failure: Schema.Struct({ reason: Schema.String }),
  failureMode: "return"
})
const Forecast = Tool.make("forecast", {
  description: "Forecast for a city",
  parameters: { city: Schema.String },
  success: Schema.String,
  failure: Schema.Struct({ message: Schema.String })
})
const WeatherToolkit = Toolkit.make(GetWeather, Forecast)

const days: Array<unknown> = []
const WeatherHandlers = WeatherToolkit.toLayer({
  get_weather: ({ city, day }) => {
    days.push(day)
    return city === "Atlantis"
      ? Effect.fail({ reason: "no such city" })
      : Effect.succeed({ city, celsius: 21, weekday: day.getUTCDay() })
  },
  forecast: ({ city }) => Effect.fail({ message: `no forecast for ${city}` })
})

describe("@effect/ai toolkits in LashCore.layer", () => {
  it.effect("a Toolkit is passed as it is; its handlers come from the layer's context", () => {
    const provider = TestProvider.builder()
      .reply(
        {
          toolCalls: [
            { callId: "a", name: "get_weather", args: { city: "Lisbon", day: "2026-01-05T12:00:00.000Z" } },
            { callId: "b", name: "get_weather", args: { city: "Atlantis", day: "2026-01-05T12:00:00.000Z" } },
            { callId: "c", name: "get_weather", args: { city: "L", day: "2026-01-05T12:00:00.000Z" } },
            { callId: "d", name: "forecast", args: { city: "Porto" } }
          ]
        },
        "done"
      )
      .build()
    const App = LashCore.layer({
      mode: "standard",
      model: { id: "m", limits: { contextWindowTokens: 8192 } },
      tools: [WeatherToolkit]
    }).pipe(
      Layer.provide(
        Layer.mergeAll(MemoryBackend.layer(), InlineEffectController.layer, provider.layer, WeatherHandlers)
      )
    )
    return Effect.gen(function*() {
      const out = yield* (yield* (yield* LashCore).openSession("toolkit")).turn(TurnInput.text("weather")).run
      expect(Option.getOrNull(out.assistantMessage)).toBe("done")
      const [ok, returned, invalid, failed] = out.toolCalls.map((c) => c.result)
      // Decoded parameters reach the handler (a Date), the success is encoded by its schema.
      expect(days[0]).toBeInstanceOf(Date)
      expect(ok).toEqual({ type: "ok", value: { city: "Lisbon", celsius: 21, weekday: 1 } })
      // failureMode "return": the failure value reaches the model as a tool_error.
      expect(returned).toMatchObject({
        type: "failure",
        failure: { code: "tool_error", raw: { reason: "no such city" } }
      })
      // A refinement of the parameters (minLength) is enforced before the handler runs.
      expect(invalid).toMatchObject({ type: "failure", failure: { code: "invalid_tool_args" } })
      expect(days).toHaveLength(2)
      // failureMode "error": the handler's failure is a tool_error with its message.
      expect(failed).toEqual({
        type: "failure",
        failure: { code: "tool_error", message: "tool forecast failed: no forecast for Porto" }
      })
      // The model is offered each tool's JSON Schema, refinements included.
      const tools = (yield* provider.requests)[0]!.request.tools
      expect(tools.map((t) => t.name)).toEqual(["get_weather", "forecast"])
      expect((tools[0]!.inputSchema as any).properties.city.minLength).toBe(2)
    }).pipe(Effect.provide(App))
  })
})
