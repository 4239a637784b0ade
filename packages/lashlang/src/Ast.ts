/**
 * The Lashlang syntax tree. Every node carries its source position; the canonical IR of an artifact is this tree
 * with positions removed.
 *
 * @since 0.1.0
 */
import type { TypeExpr } from "./TypeExpr.js"
import type { Value } from "./Value.js"

/** A node position (1-based). @since 0.1.0 */
export interface Pos {
  readonly line: number
  readonly column: number
}

/** An expression. @since 0.1.0 */
export type Expr =
  | { readonly k: "lit"; readonly v: Value; readonly int?: boolean; readonly p: Pos }
  | { readonly k: "list"; readonly items: ReadonlyArray<Expr>; readonly p: Pos }
  | { readonly k: "rec"; readonly entries: ReadonlyArray<readonly [string, Expr]>; readonly p: Pos }
  | { readonly k: "name"; readonly name: string; readonly p: Pos }
  | { readonly k: "field"; readonly obj: Expr; readonly key: string; readonly p: Pos }
  | { readonly k: "index"; readonly obj: Expr; readonly idx: Expr; readonly p: Pos }
  | { readonly k: "call"; readonly name: string; readonly args: ReadonlyArray<Expr>; readonly p: Pos }
  | {
    readonly k: "mcall"
    readonly recv: Expr
    readonly name: string
    readonly args: ReadonlyArray<Expr>
    readonly p: Pos
  }
  | { readonly k: "unwrap"; readonly e: Expr; readonly p: Pos }
  | { readonly k: "un"; readonly op: "-" | "!" | "await"; readonly e: Expr; readonly p: Pos }
  | { readonly k: "bin"; readonly op: string; readonly l: Expr; readonly r: Expr; readonly p: Pos }
  | { readonly k: "tern"; readonly c: Expr; readonly a: Expr; readonly b: Expr; readonly p: Pos }
  | { readonly k: "type"; readonly t: TypeExpr; readonly p: Pos }
  | { readonly k: "sleep"; readonly mode: "for" | "until"; readonly e: Expr; readonly p: Pos }
  | {
    readonly k: "start"
    readonly name: string
    readonly args: ReadonlyArray<readonly [string, Expr]>
    readonly p: Pos
  }
  | { readonly k: "wait"; readonly name: string; readonly p: Pos }
  | { readonly k: "sigrun"; readonly h: Expr; readonly name: string; readonly payload: Expr; readonly p: Pos }

/** An assignment target: a variable and a path of field keys or index expressions. @since 0.1.0 */
export interface Target {
  readonly root: string
  readonly path: ReadonlyArray<{ readonly key: string } | { readonly idx: Expr }>
}

/** A statement. @since 0.1.0 */
export type Stmt =
  | {
    readonly k: "if"
    readonly c: Expr
    readonly then: ReadonlyArray<Stmt>
    readonly else?: ReadonlyArray<Stmt>
    readonly p: Pos
  }
  | { readonly k: "for"; readonly v: string; readonly e: Expr; readonly body: ReadonlyArray<Stmt>; readonly p: Pos }
  | { readonly k: "while"; readonly c: Expr; readonly body: ReadonlyArray<Stmt>; readonly p: Pos }
  | { readonly k: "break" | "continue"; readonly p: Pos }
  | { readonly k: "submit" | "finish"; readonly e?: Expr; readonly p: Pos }
  | { readonly k: "print" | "cancel" | "fail"; readonly e: Expr; readonly p: Pos }
  | { readonly k: "emit"; readonly kind: "yield" | "wake"; readonly e: Expr; readonly p: Pos }
  | { readonly k: "assign"; readonly target: Target; readonly e: Expr; readonly p: Pos }
  | { readonly k: "expr"; readonly e: Expr; readonly p: Pos }

/** A process declaration. @since 0.1.0 */
export interface ProcessDecl {
  readonly name: string
  readonly params: ReadonlyArray<{ readonly name: string; readonly type: TypeExpr }>
  readonly signals?: ReadonlyArray<{ readonly name: string; readonly type: TypeExpr }>
  readonly returns?: TypeExpr
  readonly body: ReadonlyArray<Stmt>
  readonly p: Pos
}

/** A parsed program. @since 0.1.0 */
export interface Program {
  readonly processes: ReadonlyArray<ProcessDecl>
  readonly types: ReadonlyArray<{ readonly name: string; readonly type: TypeExpr; readonly p: Pos }>
  readonly body: ReadonlyArray<Stmt>
  readonly source: string
}
