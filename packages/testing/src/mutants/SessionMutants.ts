/**
 * SessionStore mutants: commits, loads and queued work (packages/testing/README.md, "The kit can fail").
 *
 * @since 0.1.0
 */
import {
  HeadRevisionConflict,
  type QueuedWorkClaim,
  QueuedWorkClaimExpired,
  type RuntimeCommit,
  type RuntimeCommitResult,
  type SessionId,
  type SessionListCursor,
  SessionStore,
  type SessionSummary,
  StoreConflict,
  TurnCommitConflict
} from "@lash/core"
import { Clock, Effect, Option } from "effect"
import { type Mutant, override, wrapHandles } from "./Mutant.js"

type Store = SessionStore["Type"]

const storeMutant = <S>(name: string, perStore: () => S, f: (real: Store, store: S) => Partial<Store>) =>
  wrapHandles(name, perStore, (handle, store) => override(handle, SessionStore, (real) => f(real, store)))

const simple = (name: string, f: (real: Store) => Partial<Store>) =>
  storeMutant(name, () => undefined, (real) => f(real))

/** The claims a store handed out and that no commit completed yet, by claim id. */
const liveClaims = () => new Map<string, QueuedWorkClaim>()
const trackClaims = (real: Store, claims: Map<string, QueuedWorkClaim>): Partial<Store> => ({
  claimReady: (req) =>
    Effect.tap(real.claimReady(req), (c) => void (Option.isSome(c) && claims.set(c.value.claimId, c.value)))
})
const ownsEvery = (claims: Map<string, QueuedWorkClaim>, c: RuntimeCommit) =>
  c.completedClaims.every((x) => claims.get(x.claimId)?.leaseToken === x.leaseToken)

/** Rewrites `expectedHeadRevision` to the stored head: the CAS never fails. */
const ignoringCas = (real: Store, c: RuntimeCommit) =>
  Effect.flatMap(
    real.load(c.sessionId),
    (loaded) =>
      real.commit({
        ...c,
        expectedHeadRevision: Option.isSome(loaded) ? loaded.value.headRevision : c.expectedHeadRevision
      })
  )

/** The SessionStore mutants. @since 0.1.0 */
export const sessionMutants: ReadonlyArray<Mutant> = [
  {
    name: "commit-ignores-cas",
    port: "SessionStore",
    bug: "commit ignores expectedHeadRevision",
    caughtBy: ["X-CAS-1", "X-RACE-8", "X-CAS-3"],
    foundByModel: "MB-SS",
    apply: simple("commit-ignores-cas", (real) => ({ commit: (c) => ignoringCas(real, c) }))
  },
  {
    name: "cas-skipped-when-completing",
    port: "SessionStore",
    bug: "a commit that completes a claim skips the head CAS",
    caughtBy: ["X-ORDER-2"],
    apply: simple("cas-skipped-when-completing", (real) => ({
      commit: (c) => (c.completedClaims.length > 0 ? ignoringCas(real, c) : real.commit(c))
    }))
  },
  {
    name: "stamp-skipped-when-completing",
    port: "SessionStore",
    bug: "a commit that completes a claim skips the turn-stamp check",
    caughtBy: ["X-ORDER-3"],
    apply: simple("stamp-skipped-when-completing", (real) => ({
      commit: (c) => {
        if (c.completedClaims.length === 0) return real.commit(c)
        const { turnStamp: _dropped, ...rest } = c
        return real.commit(rest)
      }
    }))
  },
  {
    name: "writes-before-fencing",
    port: "SessionStore",
    bug: "commit writes the state and the stamp before validating claim completions",
    caughtBy: ["X-ORDER-4", "RP-15"],
    apply: storeMutant("writes-before-fencing", liveClaims, (real, claims) => ({
      ...trackClaims(real, claims),
      commit: (c) => {
        if (ownsEvery(claims, c)) {
          return Effect.tap(real.commit(c), () => c.completedClaims.forEach((x) => claims.delete(x.claimId)))
        }
        return Effect.zipRight(
          Effect.ignore(real.commit({ ...c, completedClaims: [] })),
          Effect.fail(new QueuedWorkClaimExpired({ sessionId: c.sessionId, claimId: c.completedClaims[0]!.claimId }))
        )
      }
    }))
  },
  {
    name: "no-stamp-dedupe",
    port: "SessionStore",
    bug: "no turn-stamp dedupe: a retried final commit is a new commit",
    caughtBy: ["RP-18"],
    foundByModel: "MB-SS",
    apply: simple("no-stamp-dedupe", (real) => ({
      commit: (c) => {
        const { turnStamp: _dropped, ...rest } = c
        return real.commit(rest)
      }
    }))
  },
  {
    name: "stamps-per-handle",
    port: "SessionStore",
    bug: "turn stamps are remembered per handle, not in the store",
    caughtBy: ["X-REOPEN-4"],
    apply: wrapHandles("stamps-per-handle", () => undefined, (handle) => {
      const stamps = new Map<string, { readonly hash: string; readonly result: RuntimeCommitResult }>()
      return override(handle, SessionStore, (real) => ({
        commit: (c) => {
          if (c.turnStamp === undefined) return real.commit(c)
          const key = `${c.sessionId}\u0000${c.turnStamp.turnId}`
          const seen = stamps.get(key)
          if (seen !== undefined) {
            return seen.hash === c.turnStamp.hash
              ? Effect.succeed(seen.result)
              : Effect.fail(new TurnCommitConflict({ sessionId: c.sessionId, turnId: c.turnStamp.turnId }))
          }
          const hash = c.turnStamp.hash
          const { turnStamp: _kept, ...rest } = c
          return Effect.tap(real.commit(rest), (result) => void stamps.set(key, { hash, result }))
        }
      }))
    })
  },
  {
    name: "enqueue-ignores-source-key",
    port: "SessionStore",
    bug: "source keys are ignored: a replayed enqueue creates a second batch",
    caughtBy: ["RP-07", "X-RACE-6"],
    foundByModel: "MB-SS",
    apply: simple("enqueue-ignores-source-key", (real) => ({
      enqueue: (draft) => {
        const { sourceKey: _dropped, ...rest } = draft
        return real.enqueue(rest)
      }
    }))
  },
  {
    name: "completion-ignores-token",
    port: "SessionStore",
    bug: "commit completes a claim without checking its lease token",
    caughtBy: ["RP-13"],
    apply: storeMutant("completion-ignores-token", liveClaims, (real, claims) => ({
      ...trackClaims(real, claims),
      commit: (c) =>
        real.commit({
          ...c,
          completedClaims: c.completedClaims.map((x) => ({
            ...x,
            leaseToken: claims.get(x.claimId)?.leaseToken ?? x.leaseToken
          }))
        })
    }))
  },
  {
    name: "queue-claim-check-then-set",
    port: "SessionStore",
    bug: "claimReady selects pending rows, yields, then claims without a fence: losers still get a claim",
    caughtBy: ["X-RACE-2"],
    apply: simple("queue-claim-check-then-set", (real) => ({
      claimReady: (req) =>
        Effect.gen(function*() {
          const pending = yield* real.listPending(req.sessionId)
          yield* Effect.yieldNow()
          const got = yield* real.claimReady(req)
          const head = pending[0]
          if (Option.isSome(got) || head === undefined || req.maxBatches <= 0) return got
          const t = yield* Clock.currentTimeMillis
          return Option.some<QueuedWorkClaim>({
            sessionId: req.sessionId,
            claimId: `stale:${head.batchId}` as never,
            ownerId: req.ownerId,
            leaseToken: `stale:${req.ownerId}`,
            fencingToken: 1,
            claimedAtMs: t,
            expiresAtMs: t + req.ttlMs,
            batches: [head]
          })
        })
    }))
  },
  {
    name: "max-batches-zero-claims",
    port: "SessionStore",
    bug: "claimReady with maxBatches 0 still claims one batch",
    caughtBy: ["X-LEASE-6"],
    apply: simple("max-batches-zero-claims", (real) => ({
      claimReady: (req) => real.claimReady({ ...req, maxBatches: Math.max(1, req.maxBatches) })
    }))
  },
  {
    name: "pending-ignores-session",
    port: "SessionStore",
    bug: "listPending returns the pending batches of every session",
    caughtBy: ["RP-03"],
    apply: storeMutant("pending-ignores-session", () => new Set<SessionId>(), (real, sessions) => ({
      create: (req) => Effect.tap(real.create(req), () => void sessions.add(req.sessionId)),
      listPending: (sessionId) =>
        Effect.map(
          Effect.forEach([...new Set([sessionId, ...sessions])], (s) => real.listPending(s)),
          (all) => all.flat()
        )
    }))
  },
  {
    name: "pending-work-includes-claimed",
    port: "SessionStore",
    bug: "listSessionsWithPendingWork also lists sessions whose only work is under a live claim",
    caughtBy: ["RP-19", "RP-19b"],
    apply: storeMutant("pending-work-includes-claimed", () => new Set<SessionId>(), (real, sessions) => ({
      enqueue: (draft) => Effect.tap(real.enqueue(draft), () => void sessions.add(draft.sessionId)),
      listSessionsWithPendingWork: () =>
        Effect.gen(function*() {
          const listed = new Set(yield* real.listSessionsWithPendingWork())
          for (const s of sessions) if ((yield* real.listQueued(s)).length > 0) listed.add(s)
          return [...listed].sort()
        })
    }))
  },
  {
    name: "load-drops-frame-state",
    port: "SessionStore",
    bug: "load keeps the VM state of the current frame only",
    caughtBy: ["RP-02"],
    apply: simple("load-drops-frame-state", (real) => ({
      load: (s) =>
        Effect.map(real.load(s), (o) =>
          Option.map(o, (p) => ({
            ...p,
            frames: p.frames.map((f) => {
              if (f.frameId === p.currentFrameId) return f
              const { executionState: _dropped, ...rest } = f
              return rest
            })
          })))
    }))
  },
  {
    name: "checkpoint-drops-snapshot",
    port: "SessionStore",
    bug: "load drops the checkpoint's plugin snapshot",
    caughtBy: ["RP-04"],
    apply: simple("checkpoint-drops-snapshot", (real) => ({
      load: (s) =>
        Effect.map(real.load(s), (o) =>
          Option.map(o, (p) => {
            const { pluginSnapshot: _dropped, ...checkpoint } = p.checkpoint
            return { ...p, checkpoint }
          }))
    }))
  },
  {
    name: "load-drops-causes",
    port: "SessionStore",
    bug: "load returns the graph's nodes without their causedBy",
    caughtBy: ["RP-05"],
    apply: simple("load-drops-causes", (real) => ({
      load: (s) =>
        Effect.map(real.load(s), (o) =>
          Option.map(o, (p) => ({
            ...p,
            graph: {
              ...p.graph,
              nodes: p.graph.nodes.map((n) => {
                const { causedBy: _dropped, ...rest } = n
                return rest
              })
            }
          })))
    }))
  },
  {
    name: "load-path-ignores-leaf",
    port: "SessionStore",
    bug: "loadPath ignores the leaf it is asked for and follows the head's leaf",
    caughtBy: ["RP-05b"],
    apply: simple("load-path-ignores-leaf", (real) => ({
      loadPath: (s, req) => {
        const { leafNodeId: _dropped, ...rest } = req
        return real.loadPath(s, rest)
      }
    }))
  },
  {
    name: "load-path-ignores-before",
    port: "SessionStore",
    bug: "loadPath ignores beforeNodeId: paging never moves",
    caughtBy: ["RP-21"],
    apply: simple("load-path-ignores-before", (real) => ({
      loadPath: (s, req) => {
        const { beforeNodeId: _dropped, ...rest } = req
        return real.loadPath(s, rest)
      }
    }))
  },
  {
    name: "cas-before-stamp",
    port: "SessionStore",
    bug: "the head CAS runs before stamp dedupe: a retried final commit with its stale head conflicts",
    caughtBy: ["X-ORDER-1"],
    apply: simple("cas-before-stamp", (real) => ({
      commit: (c) =>
        c.turnStamp === undefined ?
          real.commit(c) :
          Effect.flatMap(real.loadHead(c.sessionId), (head) =>
            Option.isSome(head) && head.value.headRevision !== c.expectedHeadRevision
              ? Effect.fail(
                new HeadRevisionConflict({
                  sessionId: c.sessionId,
                  expected: c.expectedHeadRevision,
                  actual: head.value.headRevision
                })
              )
              : real.commit(c))
    }))
  },
  {
    name: "list-sessions-by-creation",
    port: "SessionStore",
    bug: "listSessions orders a page by creation time: a commit does not make a session newer",
    caughtBy: ["RP-30"],
    apply: simple("list-sessions-by-creation", (real) => ({
      listSessions: (req) =>
        Effect.map(real.listSessions(req), (page) => ({
          ...page,
          sessions: [...page.sessions].sort((a, b) =>
            b.createdAtMs - a.createdAtMs || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0)
          )
        }))
    }))
  },
  {
    name: "list-sessions-cursor-offset",
    port: "SessionStore",
    bug: "a listSessions cursor is a position: a session created between pages shifts the next page",
    caughtBy: ["RP-31"],
    apply: storeMutant("list-sessions-cursor-offset", () => new Map<string, number>(), (real, offsets) => {
      const keyOf = (c: SessionListCursor) => `${c.updatedAtMs}\u0000${c.sessionId}`
      const everything = Effect.gen(function*() {
        const all: Array<SessionSummary> = []
        let after: SessionListCursor | undefined
        do {
          const page = yield* real.listSessions(after === undefined ? { limit: 100 } : { limit: 100, after })
          all.push(...page.sessions)
          after = page.next
        } while (after !== undefined)
        return all
      })
      return {
        listSessions: (req) =>
          Effect.map(everything, (all) => {
            const from = req.after === undefined ? 0 : offsets.get(keyOf(req.after)) ?? 0
            const sessions = all.slice(from, from + req.limit)
            const last = sessions[sessions.length - 1]
            if (last === undefined || from + req.limit >= all.length) return { sessions }
            const next = { updatedAtMs: last.updatedAtMs, sessionId: last.sessionId }
            offsets.set(keyOf(next), from + req.limit)
            return { sessions, next }
          })
      }
    })
  },
  {
    name: "create-race-conflicts",
    port: "SessionStore",
    bug: "concurrent first creates of one session fail with StoreConflict (an insert race not answered as a repeat)",
    caughtBy: ["X-RACE-9"],
    apply: storeMutant("create-race-conflicts", () => new Map<string, number>(), (real, inFlight) => ({
      create: (req) =>
        Effect.gen(function*() {
          const key: string = req.sessionId
          inFlight.set(key, (inFlight.get(key) ?? 0) + 1)
          yield* Effect.yieldNow()
          const racing = (inFlight.get(key) ?? 0) > 1
          if (racing) {
            return yield* Effect.fail(
              new StoreConflict({ port: "SessionStore", operation: "create", code: "unique", attempts: 1 })
            )
          }
          return yield* real.create(req)
        }).pipe(Effect.ensuring(Effect.sync(() => inFlight.set(req.sessionId, (inFlight.get(req.sessionId) ?? 1) - 1))))
    }))
  }
]
