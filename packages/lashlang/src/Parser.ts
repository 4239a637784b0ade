/**
 * The Lashlang parser (docs/lashlang.md, "Syntax"): recursive descent with the normative disambiguation rules, nesting and
 * AST-depth limits, and line/column in every error.
 *
 * Why one file of this size: a recursive-descent parser is the grammar written out, one method per rule, and the
 * rules call each other; split up, the grammar would no longer read top to bottom.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { Expr, Pos, ProcessDecl, Program, Stmt, Target } from "./Ast.js"
import { LashlangParseError } from "./Errors.js"
import { wellFormed } from "./internal/Strings.js"
import { KEYWORDS, lex, type Token } from "./Lexer.js"
import { type TypeExpr, TypeExpr as T, type TypeField } from "./TypeExpr.js"

/** Parser limits (docs/lashlang.md, "Limits"). @since 0.1.0 */
export interface ParseLimits {
  readonly maxSourceBytes: number
  readonly maxTokens: number
  readonly maxNesting: number
  readonly maxAstDepth: number
  readonly maxCallArgs: number
}

/** The default parser limits. @since 0.1.0 */
export const defaultParseLimits: ParseLimits = {
  maxSourceBytes: 262_144,
  maxTokens: 65_536,
  maxNesting: 64,
  maxAstDepth: 256,
  maxCallArgs: 256
}

const SCALARS: Record<string, TypeExpr> = {
  str: T.str,
  string: T.str,
  int: T.int,
  integer: T.int,
  float: T.float,
  number: T.float,
  bool: T.bool,
  boolean: T.bool,
  dict: T.dict,
  object: T.dict,
  any: T.any,
  null: T.null
}

const EXPR_START = new Set(["(", "[", "{", "-", "!"])

class Parser {
  private i = 0
  private nesting = 0
  private loopDepth = 0
  private inProcess = false
  private readonly depths = new WeakMap<object, number>()

  constructor(
    private readonly tokens: ReadonlyArray<Token>,
    private readonly limits: ParseLimits
  ) {}

  // ---- token helpers ----
  private get t(): Token {
    return this.tokens[this.i]!
  }
  private peek(n = 1): Token {
    return this.tokens[Math.min(this.i + n, this.tokens.length - 1)]!
  }
  private pos(t: Token = this.t): Pos {
    return { line: t.line, column: t.column }
  }
  private is(value: string, t: Token = this.t): boolean {
    return (t.kind === "punct" || t.kind === "kw") && t.value === value
  }
  private isWord(value: string, t: Token = this.t): boolean {
    return t.kind === "ident" && t.value === value
  }
  private describe(t: Token): string {
    return t.kind === "eof" ? "end of input" : `\`${t.kind === "str" ? JSON.stringify(t.value) : t.value}\``
  }
  private fail(kind: LashlangParseError["kind"], message: string, t: Token = this.t, hint?: string): never {
    throw new LashlangParseError({ kind, message, span: this.pos(t), ...(hint === undefined ? {} : { hint }) })
  }
  private unexpected(t: Token = this.t): never {
    if (this.is("if", t)) this.fail("Unexpected", "unexpected `if`", t, "use `cond ? yes : no` for inline conditionals")
    if (this.is("for", t)) {
      this.fail(
        "Unexpected",
        "unexpected `for`",
        t,
        "`for` is a statement. Put it on its own line, not inside an expression or record literal."
      )
    }
    if (t.kind === "eof") this.fail("Unexpected", "unexpected end of input", t)
    this.fail("Unexpected", `unexpected ${this.describe(t)}`, t)
  }
  private expect(value: string): Token {
    if (!this.is(value)) this.fail("Expected", `expected \`${value}\`, found ${this.describe(this.t)}`)
    return this.tokens[this.i++]!
  }
  private ident(): Token {
    if (this.t.kind !== "ident") this.fail("Expected", `expected an identifier, found ${this.describe(this.t)}`)
    return this.tokens[this.i++]!
  }
  private key(): string {
    const t = this.t
    if (t.kind === "ident" || t.kind === "kw" || t.kind === "str") {
      this.i++
      return t.value
    }
    return this.fail("Expected", `expected a key, found ${this.describe(t)}`)
  }
  private enter(t: Token = this.t): void {
    if (++this.nesting > this.limits.maxNesting) {
      this.fail(
        "NestingTooDeep",
        `expression nesting too deep (limit ${this.limits.maxNesting}); flatten the program`,
        t
      )
    }
  }
  private leave(): void {
    this.nesting--
  }
  /** Records a node's AST depth (1 + deepest child) and enforces the limit. */
  private node<N extends object>(n: N, children: ReadonlyArray<object | undefined>, at: Token): N {
    let d = 0
    for (const c of children) if (c !== undefined) d = Math.max(d, this.depths.get(c) ?? 0)
    if (d + 1 > this.limits.maxAstDepth) {
      this.fail(
        "NestingTooDeep",
        `expression nesting too deep (limit ${this.limits.maxNesting}); flatten the program`,
        at
      )
    }
    this.depths.set(n, d + 1)
    return n
  }

  // ---- program ----
  program(source: string): Program {
    const processes: Array<ProcessDecl> = []
    const types: Array<{ name: string; type: TypeExpr; p: Pos }> = []
    const body: Array<Stmt> = []
    while (this.t.kind !== "eof") {
      if (this.is("@")) this.label()
      if (this.isWord("process") && !this.assignAhead()) processes.push(this.processDecl())
      else if (this.isWord("type") && !this.assignAhead()) {
        const at = this.t
        this.i++
        const name = this.ident().value
        this.expect("=")
        types.push({ name, type: this.typeExpr(), p: this.pos(at) })
      } else if (this.isWord("trigger") && !this.assignAhead()) {
        this.fail(
          "DeclarativeTriggerRemoved",
          "declarative trigger syntax has been removed; use `triggers.register({ source, target, inputs })`"
        )
      } else body.push(this.stmt())
    }
    return { processes, types, body, source }
  }

  private label(): void {
    const at = this.t
    this.expect("@")
    if (!this.isWord("label")) this.fail("InvalidLabel", "expected `label` after `@`", at)
    this.i++
    this.expect("(")
    const seen = new Set<string>()
    while (!this.is(")")) {
      const name = this.ident().value
      if ((name !== "title" && name !== "description") || seen.has(name)) {
        this.fail("InvalidLabel", `invalid label argument \`${name}\``, at)
      }
      seen.add(name)
      this.expect(":")
      if (this.t.kind !== "str") this.fail("InvalidLabel", "label arguments must be strings")
      this.i++
      if (!this.is(",")) break
      this.i++
    }
    this.expect(")")
    if (!seen.has("title")) this.fail("InvalidLabel", "`@label` requires a title", at)
  }

  private processDecl(): ProcessDecl {
    const at = this.t
    this.i++
    const name = this.ident().value
    const params = this.paramList("(", ")")
    let signals: Array<{ name: string; type: TypeExpr }> | undefined
    if (this.isWord("signals")) {
      this.i++
      signals = this.paramList("{", "}")
    }
    let returns: TypeExpr | undefined
    if (this.is("-") && this.is(">", this.peek())) {
      this.i += 2
      returns = this.typeExpr()
    }
    this.inProcess = true
    const body = this.block()
    this.inProcess = false
    return {
      name,
      params,
      ...(signals === undefined ? {} : { signals }),
      ...(returns === undefined ? {} : { returns }),
      body,
      p: this.pos(at)
    }
  }

  private paramList(open: string, close: string): Array<{ name: string; type: TypeExpr }> {
    this.expect(open)
    const out: Array<{ name: string; type: TypeExpr }> = []
    while (!this.is(close)) {
      const name = this.ident().value
      this.expect(":")
      out.push({ name, type: this.typeExpr() })
      if (!this.is(",")) break
      this.i++
    }
    this.expect(close)
    return out
  }

  private block(): Array<Stmt> {
    this.enter()
    this.expect("{")
    const out: Array<Stmt> = []
    while (!this.is("}")) {
      if (this.t.kind === "eof") this.fail("Expected", "expected `}`, found end of input")
      if (this.is("@")) this.label()
      out.push(this.stmt())
    }
    this.expect("}")
    this.leave()
    return out
  }

  /** IDENT { . key | [ balanced ] } = */
  private assignAhead(): boolean {
    let j = this.i
    if (this.tokens[j]?.kind !== "ident") return false
    j++
    while (true) {
      const t = this.tokens[j]!
      if (t.kind === "punct" && t.value === ".") {
        const k = this.tokens[j + 1]!
        if (k.kind === "ident" || k.kind === "kw" || k.kind === "str") {
          j += 2
          continue
        }
        return false
      }
      if (t.kind === "punct" && t.value === "[") {
        let depth = 0
        while (j < this.tokens.length) {
          const x = this.tokens[j]!
          if (x.kind === "eof") return false
          if (x.kind === "punct" && (x.value === "[" || x.value === "(" || x.value === "{")) depth++
          if (x.kind === "punct" && (x.value === "]" || x.value === ")" || x.value === "}")) depth--
          j++
          if (depth === 0) break
        }
        continue
      }
      return t.kind === "punct" && t.value === "="
    }
  }

  private stmt(): Stmt {
    const at = this.t
    const p = this.pos(at)
    if (this.is("if")) return this.ifStmt()
    if (this.is("for")) {
      this.i++
      const v = this.ident().value
      this.expect("in")
      const e = this.expr()
      this.loopDepth++
      const body = this.block()
      this.loopDepth--
      return { k: "for", v, e, body, p }
    }
    if (this.is("submit") || this.is("print")) {
      if (this.inProcess) {
        this.fail("ForegroundStatementInsideProcess", `\`${at.value}\` can't be used inside a \`process\` body`)
      }
      this.i++
      if (at.value === "print") return { k: "print", e: this.expr(), p }
      return this.is("}") || this.t.kind === "eof" ? { k: "submit", p } : { k: "submit", e: this.expr(), p }
    }
    if (this.is("cancel")) {
      this.i++
      return { k: "cancel", e: this.expr(), p }
    }
    if (this.is("call")) this.fail("Unexpected", "unexpected `call`")
    if (at.kind === "ident" && this.assignAhead()) return this.assignment(p)
    if (this.isWord("let") && this.peek().kind === "ident") {
      this.i++
      return this.assignment(p)
    }
    if (at.kind === "ident") {
      switch (at.value) {
        case "while": {
          this.i++
          const c = this.expr()
          this.loopDepth++
          const body = this.block()
          this.loopDepth--
          return { k: "while", c, body, p }
        }
        case "break":
        case "continue":
          if (this.loopDepth === 0) {
            this.fail("LoopControlOutsideLoop", `\`${at.value}\` can only be used inside a loop`)
          }
          this.i++
          return { k: at.value, p }
        case "yield":
        case "wake":
        case "fail":
        case "finish": {
          if (!this.inProcess) {
            this.fail("ProcessStatementOutsideProcess", `\`${at.value}\` can only be used inside a \`process\` body`)
          }
          this.i++
          if (at.value === "finish") {
            return this.is("}") || this.t.kind === "eof"
              ? { k: "finish", p }
              : { k: "finish", e: this.expr(), p }
          }
          if (at.value === "fail") return { k: "fail", e: this.expr(), p }
          return { k: "emit", kind: at.value, e: this.expr(), p }
        }
      }
    }
    return { k: "expr", e: this.expr(), p }
  }

  private ifStmt(): Stmt {
    const p = this.pos()
    this.expect("if")
    const c = this.expr()
    const then = this.block()
    if (!this.is("else")) return { k: "if", c, then, p }
    this.i++
    const otherwise = this.is("if") ? [this.ifStmt()] : this.block()
    return { k: "if", c, then, else: otherwise, p }
  }

  private assignment(p: Pos): Stmt {
    const root = this.ident().value
    const path: Array<{ key: string } | { idx: Expr }> = []
    while (!this.is("=")) {
      if (this.is(".")) {
        this.i++
        path.push({ key: this.key() })
      } else {
        this.expect("[")
        this.enter()
        path.push({ idx: this.expr() })
        this.leave()
        this.expect("]")
      }
    }
    this.expect("=")
    const target: Target = { root, path }
    return { k: "assign", target, e: this.expr(), p }
  }

  // ---- expressions ----
  expr(): Expr {
    const at = this.t
    this.enter(at)
    const c = this.orExpr()
    let out = c
    if (this.is("?") && this.ternaryAhead()) {
      this.i++
      const a = this.expr()
      this.expect(":")
      const b = this.expr()
      out = this.node<Expr>({ k: "tern", c, a, b, p: c.p }, [c, a, b], at)
    }
    this.leave()
    return out
  }

  /** The `?` decision of docs/lashlang.md, "Syntax" (disambiguation rule 3), with the scanner positioned on `?`. */
  private ternaryAhead(): boolean {
    const next = this.peek()
    const canStart = next.kind === "num" || next.kind === "str" || next.kind === "ident" ||
      (next.kind === "kw" && ["null", "true", "false", "await", "not"].includes(next.value)) ||
      (next.kind === "punct" && EXPR_START.has(next.value))
    if (!canStart) return false
    let depth = 0
    for (let j = this.i + 1; j < this.tokens.length; j++) {
      const t = this.tokens[j]!
      if (t.kind === "eof") return false
      if (t.kind !== "punct") continue
      if (t.value === "(" || t.value === "[" || t.value === "{") depth++
      else if (t.value === ")" || t.value === "]" || t.value === "}") {
        if (depth === 0) return false
        depth--
      } else if (depth === 0 && t.value === ":") return true
      else if (depth === 0 && (t.value === "=" || t.value === ",")) return false
    }
    return false
  }

  private binary(next: () => Expr, ops: ReadonlyArray<string>, map?: Record<string, string>): Expr {
    const at = this.t
    let l = next()
    while ((this.t.kind === "punct" || this.t.kind === "kw") && ops.includes(this.t.value)) {
      const op = map?.[this.t.value] ?? this.t.value
      this.i++
      const r = next()
      l = this.node<Expr>({ k: "bin", op, l, r, p: l.p }, [l, r], at)
    }
    return l
  }
  private orExpr(): Expr {
    return this.binary(() => this.andExpr(), ["or", "||"], { "||": "or" })
  }
  private andExpr(): Expr {
    return this.binary(() => this.cmpExpr(), ["and", "&&"], { "&&": "and" })
  }
  private cmpExpr(): Expr {
    return this.binary(() => this.addExpr(), ["==", "!=", "<", "<=", ">", ">="])
  }
  private addExpr(): Expr {
    return this.binary(() => this.mulExpr(), ["+", "-"])
  }
  private mulExpr(): Expr {
    return this.binary(() => this.unary(), ["*", "/", "%"])
  }
  private unary(): Expr {
    const at = this.t
    if (this.is("-") || this.is("!") || this.is("not") || this.is("await")) {
      const op = at.value === "not" ? "!" : (at.value as "-" | "!" | "await")
      this.i++
      this.enter(at)
      const e = this.unary()
      this.leave()
      return this.node<Expr>({ k: "un", op, e, p: this.pos(at) }, [e], at)
    }
    return this.postfix()
  }
  private postfix(): Expr {
    const at = this.t
    let e = this.primary()
    while (true) {
      if (this.is(".")) {
        this.i++
        const key = this.key()
        if (this.is("(")) {
          const args = this.args()
          e = this.node<Expr>({ k: "mcall", recv: e, name: key, args, p: e.p }, [e, ...args], at)
        } else e = this.node<Expr>({ k: "field", obj: e, key, p: e.p }, [e], at)
      } else if (this.is("[")) {
        this.i++
        this.enter()
        const idx = this.expr()
        this.leave()
        this.expect("]")
        e = this.node<Expr>({ k: "index", obj: e, idx, p: e.p }, [e, idx], at)
      } else if (this.is("?") && !this.ternaryAhead()) {
        this.i++
        e = this.node<Expr>({ k: "unwrap", e, p: e.p }, [e], at)
      } else return e
    }
  }
  private args(): Array<Expr> {
    this.expect("(")
    const out: Array<Expr> = []
    while (!this.is(")")) {
      out.push(this.expr())
      if (out.length > this.limits.maxCallArgs) {
        this.fail("SourceTooLarge", `too many call arguments (limit ${this.limits.maxCallArgs})`)
      }
      if (!this.is(",")) break
      this.i++
    }
    this.expect(")")
    return out
  }
  private primary(): Expr {
    const t = this.t
    const p = this.pos(t)
    if (t.kind === "num") {
      this.i++
      return this.node<Expr>({ k: "lit", v: t.num!, int: t.isInt === true, p }, [], t)
    }
    if (t.kind === "str") {
      this.i++
      return this.node<Expr>({ k: "lit", v: t.value, p }, [], t)
    }
    if (t.kind === "kw") {
      if (t.value === "null" || t.value === "true" || t.value === "false") {
        this.i++
        return this.node<Expr>({ k: "lit", v: t.value === "null" ? null : t.value === "true", p }, [], t)
      }
      this.unexpected(t)
    }
    if (this.is("(")) {
      this.i++
      const e = this.expr()
      this.expect(")")
      return e
    }
    if (this.is("[")) {
      this.i++
      const items: Array<Expr> = []
      while (!this.is("]")) {
        items.push(this.expr())
        if (!this.is(",")) break
        this.i++
      }
      this.expect("]")
      return this.node<Expr>({ k: "list", items, p }, items, t)
    }
    if (this.is("{")) {
      this.i++
      const entries: Array<readonly [string, Expr]> = []
      while (!this.is("}")) {
        const key = this.key()
        this.expect(":")
        entries.push([key, this.expr()])
        if (!this.is(",")) break
        this.i++
      }
      this.expect("}")
      return this.node<Expr>({ k: "rec", entries, p }, entries.map(([, e]) => e), t)
    }
    if (t.kind === "ident") {
      const next = this.peek()
      if (t.value === "Type" && this.is("{", next)) {
        this.i++
        return this.node<Expr>({ k: "type", t: this.typeObject(), p }, [], t)
      }
      if (t.value === "sleep") {
        this.i++
        const mode = this.isWord("until")
          ? "until"
          : this.is("for")
          ? "for"
          : this.fail("Expected", "expected `for` or `until` after `sleep`")
        this.i++
        const e = this.expr()
        return this.node<Expr>({ k: "sleep", mode, e, p }, [e], t)
      }
      if (t.value === "start" && (next.kind === "ident" || this.is("{", next) || this.is("(", next))) {
        this.i++
        if (this.is("{") || this.is("(")) this.fail("Unexpected", "unexpected inline `start` process body")
        if (this.is("call")) this.fail("Unexpected", "unexpected `start call`")
        const name = this.ident().value
        this.expect("(")
        const args: Array<readonly [string, Expr]> = []
        while (!this.is(")")) {
          const key = this.key()
          this.expect(":")
          args.push([key, this.expr()])
          if (!this.is(",")) break
          this.i++
        }
        this.expect(")")
        return this.node<Expr>({ k: "start", name, args, p }, args.map(([, e]) => e), t)
      }
      if (t.value === "wait_signal" && this.is("(", next)) {
        this.i += 2
        if (this.t.kind !== "str") this.fail("Expected", "`wait_signal` needs a string-literal signal name")
        const name = this.t.value
        this.i++
        this.expect(")")
        return this.node<Expr>({ k: "wait", name, p }, [], t)
      }
      if (t.value === "signal_run" && this.is("(", next)) {
        this.i += 2
        const h = this.expr()
        this.expect(",")
        if (this.t.kind !== "str") this.fail("Expected", "`signal_run` needs a string-literal signal name")
        const name = this.t.value
        this.i++
        this.expect(",")
        const payload = this.expr()
        this.expect(")")
        return this.node<Expr>({ k: "sigrun", h, name, payload, p }, [h, payload], t)
      }
      if (t.value === "parallel" && this.is("{", next)) this.fail("Unexpected", "unexpected `parallel`")
      this.i++
      if (this.is("(")) {
        const args = this.args()
        return this.node<Expr>({ k: "call", name: t.value, args, p }, args, t)
      }
      return this.node<Expr>({ k: "name", name: t.value, p }, [], t)
    }
    return this.unexpected(t)
  }

  // ---- types ----
  typeExpr(): TypeExpr {
    const members = [this.typeTerm()]
    while (this.is("|")) {
      this.i++
      members.push(this.typeTerm())
    }
    return members.length === 1 ? members[0]! : T.union(members)
  }
  private typeObject(): TypeExpr {
    this.expect("{")
    const fields: Array<TypeField> = []
    const seen = new Set<string>()
    while (!this.is("}")) {
      const at = this.t
      const name = this.key()
      if (seen.has(name)) this.fail("Unexpected", `duplicate field \`${name}\``, at)
      seen.add(name)
      this.expect(":")
      const type = this.typeExpr()
      let optional = false
      if (this.is("?")) {
        this.i++
        optional = true
      }
      fields.push({ name, type, optional })
      if (!this.is(",")) break
      this.i++
    }
    this.expect("}")
    return T.object(fields)
  }
  private typeTerm(): TypeExpr {
    const t = this.t
    if (this.is("null")) {
      this.i++
      return T.null
    }
    if (t.kind === "str") {
      this.i++
      return T.enum([t.value])
    }
    if (this.is("{")) return this.typeObject()
    if (t.kind !== "ident") this.fail("Expected", `expected a type, found ${this.describe(t)}`)
    this.i++
    switch (t.value) {
      case "Type":
        return this.typeObject()
      case "enum": {
        this.expect("[")
        const values: Array<string> = []
        while (!this.is("]")) {
          if (this.t.kind !== "str") this.fail("Expected", "expected a string in `enum[...]`")
          values.push(this.t.value)
          this.i++
          if (!this.is(",")) break
          this.i++
        }
        this.expect("]")
        return T.enum(values)
      }
      case "list": {
        this.expect("[")
        const item = this.typeExpr()
        this.expect("]")
        return T.list(item)
      }
      case "Process": {
        this.expect("<")
        const i = this.typeExpr()
        this.expect(",")
        const o = this.typeExpr()
        this.expect(">")
        return T.process(i, o)
      }
      case "TriggerHandle": {
        this.expect("<")
        const e = this.typeExpr()
        this.expect(">")
        return T.triggerHandle(e)
      }
    }
    let name = t.value
    while (this.is(".") && this.peek().kind === "ident") {
      this.i++
      name += "." + this.ident().value
    }
    return SCALARS[name] ?? T.ref(name)
  }
}

/** @internal */
export const parseSync = (source: string, limits: ParseLimits = defaultParseLimits): Program => {
  if (Buffer.byteLength(source, "utf8") > limits.maxSourceBytes) {
    throw new LashlangParseError({
      kind: "SourceTooLarge",
      message: `program too large (limit ${limits.maxSourceBytes} bytes)`
    })
  }
  // Lines made only of `-` are dropped before parsing (docs/lashlang.md, "The RLM turn protocol" step 4).
  // Lone surrogates become U+FFFD before anything else (docs/lashlang.md, "Values and types": one normalisation
  // rule for every string that enters a value); a code point stays a code point, so positions do not move.
  const cleaned = wellFormed(source).replace(/^[ \t]*-+[ \t]*$/gm, "")
  const parser = new Parser(lex(cleaned, limits.maxTokens), limits)
  return parser.program(cleaned)
}

/**
 * Parses a program.
 *
 * @since 0.1.0
 */
export const parse = (source: string, options?: Partial<ParseLimits>): Effect.Effect<Program, LashlangParseError> =>
  Effect.try({
    try: () => parseSync(source, { ...defaultParseLimits, ...options }),
    catch: (
      e
    ) => (e instanceof LashlangParseError ? e : new LashlangParseError({ kind: "Unexpected", message: String(e) }))
  })

/** Re-exported keyword set. @internal */
export const RESERVED = KEYWORDS
