import { describe, expect, it } from "@effect/vitest"
import { guardedFetch, MALFORMED_EVENT } from "../src/internal/sseGuard.js"

/** A fetch answering with `chunks` as the body, written one by one, under `contentType`. */
const serving = (chunks: ReadonlyArray<string>, contentType = "text/event-stream"): typeof globalThis.fetch => () => {
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk))
      controller.close()
    }
  })
  return Promise.resolve(new Response(body, { status: 200, headers: { "content-type": contentType } }))
}

const read = async (chunks: ReadonlyArray<string>, contentType?: string) =>
  (await guardedFetch(serving(chunks, contentType))("http://x")).text()

describe("the event-stream guard", () => {
  it("passes intact events unchanged, however the bytes are split, with any line ending", async () => {
    const events = "event: a\ndata: {\"x\":1}\n\nevent: b\r\ndata: {\"y\":\r\ndata: 2}\r\n\r\ndata: [DONE]\n\n"
    expect(await read([events])).toBe(events)
    const split = [...events].reduce<Array<string>>(
      (out, ch, i) => (i % 3 === 0 ? [...out, ch] : [...out.slice(0, -1), out.at(-1)! + ch]),
      []
    )
    expect(await read(split)).toBe(events)
  })

  it("rewrites a frame that is not JSON into an error event naming it, and keeps what follows", async () => {
    const out = await read([
      "data: {\"a\":1}\n\ndata: {\"type\":\"resp",
      "onse.output_text.delta\"\n\ndata: {\"b\":2}\n\n"
    ])
    const frames = out.split("\n\n").filter((f) => f.length > 0)
    expect(frames[0]).toBe("data: {\"a\":1}")
    const error = JSON.parse(frames[1]!.split("data: ")[1]!)
    expect(error).toMatchObject({ type: "error", code: MALFORMED_EVENT })
    expect(error.message).toContain("an event is not JSON: {\"type\":\"response.output_text.delta\"")
    expect(frames[2]).toBe("data: {\"b\":2}")
  })

  it("rewrites response.failed into an error event with the response's code and message", async () => {
    const failed = { type: "response.failed", response: { error: { code: "server_error", message: "boom" } } }
    const out = await read([`event: response.failed\ndata: ${JSON.stringify(failed)}\n\n`])
    expect(JSON.parse(out.split("data: ")[1]!)).toMatchObject({ type: "error", code: "server_error", message: "boom" })
  })

  it("passes an unfinished last event on as it is, and leaves other responses alone", async () => {
    expect(await read(["data: {\"a\":1}\n\ndata: {\"trunc"])).toBe("data: {\"a\":1}\n\ndata: {\"trunc")
    expect(await read(["{\"not\": \"sse\"", " at all"], "application/json")).toBe("{\"not\": \"sse\" at all")
  })
})
