/**
 * Hostile programs (issue 20 and docs/lashlang.md, "Limits"): each once crashed, froze or bloated the host. Each
 * must now end within two seconds and 256 MB of heap above a trivial run, either with the typed error named here or
 * with the bounded result named here. Run one per child process with a heap cap by `hostile.process.test.ts`;
 * `representative` ones (every program the issue lists) also run as the block of an RLM turn through a real core on
 * memory and SQLite, each in a child process with a heap cap, next to a bystander session
 * (packages/core/test/containment/hostileTurns.test.ts).
 */

/** What a hostile program must end with. */
export type Expected =
  | { readonly error: string; readonly message: string | RegExp }
  | { readonly outcome: "Submitted" | "Continued"; readonly value?: string; readonly printed?: ReadonlyArray<number> }

export interface HostileCase {
  readonly name: string
  readonly source: string
  readonly expect: Expected
  readonly representative?: boolean
}

const lines = (...ls: ReadonlyArray<string>) => ls.join("\n")
const LIMIT = (what: string) => ({ error: "LimitExceeded", message: what })
const tooLarge = LIMIT("value too large (limit 16000000)")

/** `x<k> = [x<k-1> × 10]` for k = 1..levels, over `x0 = <base>`; the same with `y` when `twin`. */
const sharing = (base: string, levels: number, twin = false): string => {
  const out: Array<string> = []
  for (const v of twin ? ["x", "y"] : ["x"]) {
    out.push(`${v}0 = ${base}`)
    for (let k = 1; k <= levels; k++) {
      out.push(`${v}${k} = [${Array.from({ length: 10 }, () => `${v}${k - 1}`).join(", ")}]`)
    }
  }
  return out.join("\n")
}

export const hostileCases: ReadonlyArray<HostileCase> = [
  {
    name: "push of a million-item list in a loop",
    source: lines("l = []", "for i in range(1000) { l = push(l, range(1000000)) }"),
    expect: tooLarge,
    representative: true
  },
  {
    name: "shared references: x1 = [x0 × 10], then submit \"kept\"",
    source: lines(sharing("range(1000000)", 2), "submit \"kept\""),
    expect: tooLarge,
    representative: true
  },
  {
    name: "shared references: print x2",
    source: lines(sharing("range(1000000)", 2), "print x2"),
    expect: tooLarge,
    representative: true
  },
  {
    name: "shared references: submit x2",
    source: lines(sharing("range(1000000)", 2), "submit x2"),
    expect: tooLarge,
    representative: true
  },
  {
    name: "shared references: len(to_string(x2))",
    source: lines(sharing("range(1000000)", 2), "n = len(to_string(x2))"),
    expect: tooLarge,
    representative: true
  },
  {
    name: "shared references: x5 == y5",
    source: lines(sharing("range(1000000)", 5, true), "b = x5 == y5"),
    expect: tooLarge,
    representative: true
  },
  {
    name: "shared references within the size limit: printing, encoding and comparing stay bounded",
    source: lines(
      sharing("range(1000)", 3, true),
      "print x3",
      "n = len(to_string(x3))",
      "same = x3 == y3",
      "submit [n, same]"
    ),
    expect: { outcome: "Submitted", value: "[3892221,true]", printed: [1_000_000, 18] }
  },
  {
    name: "find of a 16k needle in a 4M haystack",
    source: lines(
      "s = \"a\"",
      "for i in range(22) { s = s + s }",
      "n = \"a\"",
      "for i in range(13) { n = n + n }",
      "n = n + \"b\" + n",
      "submit [find(s, n), contains(s, n), len(split(s, n))]"
    ),
    expect: { outcome: "Submitted", value: "[null,false,1]" },
    representative: true
  },
  {
    name: "record keys assigned in a loop past the record limit",
    source: lines("r = {}", "for i in range(200000) { r[to_string(i)] = i }"),
    expect: LIMIT("record too large (limit 100000)"),
    representative: true
  },
  {
    name: "50,000 record keys assigned in a loop",
    source: lines("r = {}", "for i in range(50000) { r[to_string(i)] = i }", "submit len(r)"),
    expect: { outcome: "Submitted", value: "50000" },
    representative: true
  },
  {
    name: "1,000 item assignments into a million-item list",
    source: lines("l = range(1000000)", "for i in range(1000) { l[i] = 0 }", "submit [l[999], l[1000]]"),
    expect: { outcome: "Submitted", value: "[0,1000]" },
    representative: true
  },
  {
    name: "endless item assignments into a million-item list",
    source: lines("l = range(1000000)", "i = 0", "while true { l[i % 1000000] = i\n i = i + 1 }"),
    expect: LIMIT("step budget exhausted (1000000 steps)")
  },
  {
    name: "json_parse of a 2,097,153-item list",
    source: lines("s = \"0,\"", "for i in range(21) { s = s + s }", "x = json_parse(\"[\" + s + \"0]\")"),
    expect: LIMIT("list too long (limit 1000000)"),
    representative: true
  },
  {
    name: "json_parse of a 120,000-entry record",
    source: lines(
      "parts = []",
      "for i in range(120000) { parts = push(parts, format(\"\\\"k{}\\\": 1\", i)) }",
      "x = json_parse(\"{\" + join(parts, \",\") + \"}\")"
    ),
    expect: LIMIT("record too large (limit 100000)"),
    representative: true
  },
  {
    name: "json_parse of 10,000 nested lists",
    source: lines("s = \"[\"", "for i in range(13) { s = s + s }", "x = json_parse(s + s)"),
    expect: { error: "ValueError", message: "invalid json: nesting too deep (limit 128)" }
  },
  {
    name: "the first print of an 8.4M-character string",
    source: lines("s = \"x\"", "for i in range(23) { s = s + s }", "print s", "submit len(s)"),
    expect: { outcome: "Submitted", value: "8388608", printed: [1_000_000, 18] },
    representative: true
  },
  {
    name: "sleeps of 299 s in a loop",
    source: "for i in range(100) { sleep for 299000 }",
    expect: LIMIT("too much sleep in one block (limit 300000 ms in total)"),
    representative: true
  },
  {
    name: "30 strings of 8.4M characters kept in variables",
    source: lines(
      "s = \"x\"",
      "for i in range(23) { s = s + s }",
      ...Array.from({ length: 30 }, (_, i) => `v${i} = s + "${i}"`)
    ),
    expect: LIMIT("variables too large (limit 32000000 in total)"),
    representative: true
  },
  {
    name: "string doubling without end",
    source: lines("s = \"x\"", "while true { s = s + s }"),
    expect: LIMIT("string too long (limit 10000000)")
  },
  {
    name: "an endless loop",
    source: lines("n = 0", "while true { n = n + 1 }"),
    expect: LIMIT("step budget exhausted (1000000 steps)"),
    representative: true
  },
  {
    name: "nesting a list in itself",
    source: lines("v = []", "for i in range(100000) { v = [v] }"),
    expect: LIMIT("value nesting too deep (limit 128)")
  },
  {
    name: "type values that embed each other twice per level",
    source: lines("t = Type { a: str }", "for i in range(64) {", "  u = t", "  t = Type { x: u, y: u }", "}"),
    expect: tooLarge
  },
  {
    name: "split of a 4M-character string into 2M pieces",
    source: lines("s = \"a,\"", "for i in range(21) { s = s + s }", "x = split(s, \",\")"),
    expect: LIMIT("list too long (limit 1000000)")
  },
  {
    name: "comparing two large values in a loop",
    source: lines(
      sharing("range(100000)", 1, true),
      "n = 0",
      "while true { if x1 == y1 { n = n + 1 } }"
    ),
    expect: LIMIT("step budget exhausted (1000000 steps)")
  },
  {
    name: "to_string of a large value in a loop",
    source: lines(sharing("range(100000)", 1), "while true { t = to_string(x1) }"),
    expect: LIMIT("step budget exhausted (1000000 steps)")
  },
  {
    name: "indexing a long string with surrogate pairs by code point in a loop",
    source: lines(
      "s = \"😀a\"",
      "for i in range(18) { s = s + s }",
      "n = 0",
      "for i in range(len(s)) { if s[i] == \"a\" { n = n + 1 } }"
    ),
    expect: LIMIT("step budget exhausted (1000000 steps)")
  },
  {
    name: "length of a long string read in a loop condition",
    source: lines(
      "s = \"ab\"",
      "for i in range(22) { s = s + s }",
      "i = 0",
      "n = 0",
      "while i < len(s) { n = n + 1\n i = i + 1 }"
    ),
    expect: LIMIT("step budget exhausted (1000000 steps)")
  }
]
