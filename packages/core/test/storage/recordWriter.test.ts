/**
 * The compiled record writers (packages/core/src/storage/RecordWriter.ts) against the reference path they replace
 * (`Schema.encode`, then canonical JSON): the same text for every value the reference path accepts, the same error
 * for every value it refuses, and the compiled path really taken for valid values (not a silent fallback).
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, FastCheck as fc, Schema } from "effect"
import { Json, SessionHead, SessionNode, StorageEngine } from "../../src/index.js"
import { writerOf } from "../../src/storage/RecordWriter.js"

const { RecordCodec } = StorageEngine

type Outcome = { readonly text: string } | { readonly error: string }

const outcome = (f: () => string): Outcome => {
  try {
    return { text: f() }
  } catch (e) {
    return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }
  }
}

const sameAsReference = <A, I>(schema: Schema.Schema<A, I>, value: A) =>
  expect(outcome(() => RecordCodec.encode(schema, value))).toEqual(
    outcome(() => RecordCodec.encodeReference(schema, value))
  )

/** Every construct the writer compiles, nested. */
const Id = Schema.String.pipe(Schema.brand("Id"))
const Shape = Schema.Struct({
  id: Id,
  count: Schema.NonNegativeInt,
  ratio: Schema.Number,
  flag: Schema.Boolean,
  note: Schema.optionalWith(Schema.String, { exact: true }),
  role: Schema.Literal("user", "assistant", "événement", "0", "10", "a\"b"),
  one: Schema.Literal(1),
  none: Schema.Null,
  tags: Schema.Array(Schema.String),
  table: Schema.Record({ key: Schema.String, value: Schema.Number }),
  body: Schema.Union(
    Schema.Struct({
      kind: Schema.Literal("text"),
      content: Schema.String,
      "Z-last": Schema.optionalWith(Id, { exact: true })
    }),
    Schema.Struct({
      kind: Schema.Literal("list"),
      items: Schema.Array(Schema.Struct({ n: Schema.Int, "10": Schema.String }))
    })
  )
})

const head: SessionHead = {
  sessionId: "s-1" as never,
  headRevision: 3,
  relation: {
    type: "child",
    parentSessionId: "s-0" as never,
    causedBy: { type: "tool_call", sessionId: "s-0" as never, callId: "c" }
  },
  config: { providerId: "p", model: { id: "m", limits: { contextWindowTokens: 1000, outputTokenCapacity: 10 } } },
  frames: [{
    frameId: "main",
    assignment: {
      policy: { providerId: "p", model: { id: "m", limits: { contextWindowTokens: 1000 } }, maxIterations: 3 },
      pluginOptions: { plugins: { a: { x: [1, "y", null] } } }
    },
    protocolOptions: null,
    executionState: { vars: { "b": 1, "a": [true, { "ü": "\ud800 lone" }] } }
  }],
  currentFrameId: "main",
  checkpoint: {
    turnIndex: 2,
    usage: { input: 10, output: 5, cacheRead: 0 },
    pluginSnapshot: { z: { version: "1", state: { blob: "x".repeat(100) } }, a: { version: "2", state: [1, 2.5, -0] } },
    toolState: { "k\"ey": "v\n" }
  },
  leafNodeId: "n-2",
  nodeCount: 2
}

const nodes: ReadonlyArray<SessionNode> = [
  {
    nodeId: "n-1",
    timestampMs: 5,
    frameId: "main",
    payload: {
      kind: "message",
      message: {
        id: "m",
        role: "assistant",
        parts: [
          { id: "p1", kind: "text", content: "long ".repeat(40) },
          { id: "p2", kind: "code", content: "x = 1", language: "lashlang" },
          { id: "p3", kind: "tool_call", content: "{}", toolCallId: "t", toolName: "search" }
        ],
        origin: { kind: "process", processId: "pr" as never, eventType: "e", sequence: 1, wakeId: "w" as never }
      }
    }
  },
  { nodeId: "n-2", parentNodeId: "n-1", timestampMs: 6, payload: { kind: "plugin", pluginId: "pl", body: { a: [1] } } },
  {
    nodeId: "n-3",
    parentNodeId: "n-2",
    causedBy: { type: "process_event", processId: "pr" as never, sequence: 4 },
    timestampMs: 7,
    payload: { kind: "protocol", protocol: "rlm", event: { step: 1 } }
  }
]

/** Values to put in place of a field: wrong types, non-JSON numbers, objects that are not plain records. */
const replacements: ReadonlyArray<unknown> = [
  undefined,
  null,
  Number.NaN,
  Infinity,
  -0,
  1.5,
  -1,
  "",
  "text",
  true,
  [],
  {},
  ["a"],
  new Date(0),
  new Map(),
  Object.create({ inherited: 1 })
]

/** Every value reachable from `value` with one field deleted, replaced, or an excess key added. */
const mutations = (value: unknown): Array<unknown> => {
  const out: Array<unknown> = []
  const visit = (node: unknown, rebuild: (replacement: unknown) => unknown) => {
    for (const r of replacements) out.push(rebuild(r))
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, (r) => rebuild(node.map((x, j) => (j === i ? r : x)))))
      out.push(rebuild([...node, "extra"]))
    } else if (typeof node === "object" && node !== null) {
      const record = node as Record<string, unknown>
      out.push(rebuild({ ...record, excess: 1 }))
      out.push(rebuild(Object.values(record)))
      // The same fields, inherited instead of own.
      out.push(rebuild(Object.create(record)))
      for (const key of Object.keys(record)) {
        const { [key]: _removed, ...rest } = record
        out.push(rebuild(rest))
        visit(record[key], (r) => rebuild({ ...record, [key]: r }))
      }
    }
  }
  visit(value, (r) => r)
  return out
}

describe("RecordWriter", () => {
  it("writes the reference text for generated values, through the compiled path", () => {
    const write = writerOf(Shape)
    let runs = 0
    let vouched = 0
    fc.assert(
      fc.property(Arbitrary.make(Shape), (value) => {
        runs++
        const text = write(value)
        // What the writer refuses (non-finite ratios, which have no canonical form; an own `__proto__` key) is left
        // to the reference path; what it writes is the reference text.
        if (text !== undefined) {
          vouched++
          expect(text).toBe(RecordCodec.encodeReference(Shape, value))
        }
        sameAsReference(Shape, value)
      }),
      { numRuns: 2000 }
    )
    expect(vouched / runs).toBeGreaterThan(0.8)
  })

  it("takes the compiled path for the stored session records", () => {
    expect(writerOf(SessionHead)(head)).toBe(RecordCodec.encodeReference(SessionHead, head))
    for (const node of nodes) expect(writerOf(SessionNode)(node)).toBe(RecordCodec.encodeReference(SessionNode, node))
  })

  it("writes Json itself through the compiled path: the reference text for JSON values, the same error otherwise", () => {
    const write = writerOf(Json)
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(write(value as Json)).toBe(RecordCodec.encodeReference(Json, value as Json))
      }),
      { numRuns: 1000 }
    )
    for (const m of mutations({ a: [1, "x", { b: null }], "k\"ey": true, n: -0 })) sameAsReference(Json, m as Json)
  })

  it("agrees with the reference path on every one-field mutation of a head and of nodes: same text or same error", () => {
    let vouched = 0
    let refused = 0
    const check = <A, I>(schema: Schema.Schema<A, I>, value: unknown) => {
      sameAsReference(schema, value as A)
      if (writerOf(schema)(value as A) === undefined) refused++
      else vouched++
    }
    for (const m of mutations(head)) check(SessionHead, m)
    for (const node of nodes) for (const m of mutations(node)) check(SessionNode, m)
    for (const sample of fc.sample(Arbitrary.make(Shape), { numRuns: 5, seed: 7 })) {
      for (const m of mutations(sample)) check(Shape, m)
    }
    // Both paths are exercised: mutations the schema accepts (excess keys, other valid values) and ones it refuses.
    expect(vouched).toBeGreaterThan(100)
    expect(refused).toBeGreaterThan(100)
  })

  it("sorts keys by UTF-16 code unit, numeric-looking keys included, and drops excess properties", () => {
    const value = {
      id: "i",
      count: 0,
      ratio: 1e21,
      flag: false,
      role: "10",
      one: 1,
      none: null,
      tags: [],
      table: { b: 1, "10": 2, "2": 3, A: -0 },
      body: { kind: "list", items: [{ n: 1, "10": "x", dropped: true }] },
      dropped: "yes"
    } as unknown as typeof Shape.Type
    expect(writerOf(Shape)(value)).toBe(
      "{\"body\":{\"items\":[{\"10\":\"x\",\"n\":1}],\"kind\":\"list\"},\"count\":0,\"flag\":false,\"id\":\"i\"," +
        "\"none\":null,\"one\":1,\"ratio\":1e+21,\"role\":\"10\",\"table\":{\"10\":2,\"2\":3,\"A\":0,\"b\":1},\"tags\":[]}"
    )
    sameAsReference(Shape, value)
  })
})
