/**
 * The Lashlang lexer (docs/lashlang.md, "Syntax").
 *
 * @internal
 */
import { LashlangParseError } from "./Errors.js"

/** A token. */
export interface Token {
  readonly kind: "ident" | "kw" | "num" | "str" | "punct" | "eof"
  readonly value: string
  /** For numbers: the literal had no `.` (an int literal for the checker). */
  readonly isInt?: boolean
  readonly num?: number
  readonly line: number
  readonly column: number
}

/** Reserved keywords: never identifiers. */
export const KEYWORDS = new Set([
  "if",
  "else",
  "for",
  "in",
  "await",
  "cancel",
  "submit",
  "print",
  "call",
  "and",
  "or",
  "not",
  "true",
  "false",
  "null"
])

const PUNCT2 = ["==", "!=", "<=", ">=", "&&", "||"]
const PUNCT1 = new Set([
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ",",
  ":",
  "@",
  "?",
  ".",
  "!",
  "=",
  "<",
  ">",
  "+",
  "-",
  "*",
  "/",
  "%",
  "|"
])

const isIdentStart = (c: string) => /[A-Za-z_]/.test(c)
const isIdentPart = (c: string) => /[A-Za-z0-9_]/.test(c)
const isDigit = (c: string) => c >= "0" && c <= "9"

/** Lexes a program; `maxTokens` bounds the work. */
export const lex = (source: string, maxTokens: number): Array<Token> => {
  const tokens: Array<Token> = []
  let i = 0
  let line = 1
  let lineStart = 0
  // Columns count code points. With surrogate pairs in the source, a cursor counts the pairs before `at` on the
  // current line, moving forward only (tokens come in order), so a long line costs one pass, not one per token.
  const astral = /[\uD800-\uDFFF]/.test(source)
  let cursor = 0
  let cursorLineStart = -1
  let pairs = 0
  const column = (at: number) => {
    if (!astral) return at - lineStart + 1
    if (cursorLineStart !== lineStart || at < cursor) {
      cursorLineStart = lineStart
      cursor = lineStart
      pairs = 0
    }
    for (; cursor < at; cursor++) {
      const c = source.charCodeAt(cursor)
      if (c >= 0xdc00 && c <= 0xdfff && cursor > lineStart) {
        const p = source.charCodeAt(cursor - 1)
        if (p >= 0xd800 && p <= 0xdbff) pairs++
      }
    }
    return at - lineStart - pairs + 1
  }
  const fail = (kind: LashlangParseError["kind"], message: string, at: number, l = line) => {
    throw new LashlangParseError({ kind, message, span: { line: l, column: column(at) } })
  }
  const push = (t: Omit<Token, "line" | "column">, at: number, l: number, col: number) => {
    if (tokens.length >= maxTokens) {
      throw new LashlangParseError({
        kind: "SourceTooLarge",
        message: `program too large (limit ${maxTokens} tokens)`,
        span: { line: l, column: col }
      })
    }
    tokens.push({ ...t, line: l, column: col })
    void at
  }
  const n = source.length
  while (i < n) {
    const c = source[i]!
    if (c === "\n") {
      i++
      line++
      lineStart = i
      continue
    }
    if (c === ";" || /\s/.test(c)) {
      i++
      continue
    }
    if (c === "#" || (c === "/" && source[i + 1] === "/")) {
      while (i < n && source[i] !== "\n") i++
      continue
    }
    const startLine = line
    const startCol = column(i)
    if (isIdentStart(c)) {
      // Raw strings r"""…""" and r'''…'''.
      if (c === "r" && (source.startsWith("\"\"\"", i + 1) || source.startsWith("'''", i + 1))) {
        const delim = source.slice(i + 1, i + 4)
        const end = source.indexOf(delim, i + 4)
        if (end < 0) fail("UnterminatedString", "unterminated string", i)
        const text = source.slice(i + 4, end)
        for (const ch of text) if (ch === "\n") line++
        if (text.includes("\n")) lineStart = i + 4 + text.lastIndexOf("\n") + 1
        i = end + 3
        push({ kind: "str", value: text }, i, startLine, startCol)
        continue
      }
      let j = i + 1
      while (j < n && isIdentPart(source[j]!)) j++
      const word = source.slice(i, j)
      if (word.length > 256) fail("Unexpected", "identifier too long (limit 256)", i)
      push({ kind: KEYWORDS.has(word) ? "kw" : "ident", value: word }, i, startLine, startCol)
      i = j
      continue
    }
    if (isDigit(c)) {
      let j = i
      while (j < n && isDigit(source[j]!)) j++
      let isInt = true
      if (source[j] === ".") {
        isInt = false
        j++
        while (j < n && isDigit(source[j]!)) j++
      }
      const text = source.slice(i, j)
      push({ kind: "num", value: text, num: Number(text), isInt }, i, startLine, startCol)
      i = j
      continue
    }
    if (c === "\"") {
      const triple = source.startsWith("\"\"\"", i)
      let j = i + (triple ? 3 : 1)
      let out = ""
      let closed = false
      while (j < n) {
        const ch = source[j]!
        if (triple ? source.startsWith("\"\"\"", j) : ch === "\"") {
          j += triple ? 3 : 1
          closed = true
          break
        }
        if (ch === "\\" && j + 1 < n) {
          const e = source[j + 1]!
          out += e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "\t" : e
          if (e === "\n") {
            line++
            lineStart = j + 2
          }
          j += 2
          continue
        }
        if (ch === "\n") {
          line++
          lineStart = j + 1
        }
        out += ch
        j++
      }
      if (!closed) fail("UnterminatedString", "unterminated string", i, startLine)
      push({ kind: "str", value: out }, i, startLine, startCol)
      i = j
      continue
    }
    const two = source.slice(i, i + 2)
    if (PUNCT2.includes(two)) {
      push({ kind: "punct", value: two }, i, startLine, startCol)
      i += 2
      continue
    }
    if (c === "&") fail("UnexpectedChar", "unexpected `&`", i)
    if (PUNCT1.has(c)) {
      push({ kind: "punct", value: c }, i, startLine, startCol)
      i++
      continue
    }
    fail("UnexpectedChar", `unexpected \`${String.fromCodePoint(source.codePointAt(i)!)}\``, i)
  }
  tokens.push({ kind: "eof", value: "", line, column: column(n) })
  return tokens
}
