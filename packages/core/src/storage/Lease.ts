/**
 * Lease arithmetic and fencing, written once (docs/architecture.md, "Processes and leases"). Process leases and
 * queue claims share the liveness rule; everything about a process lease — who may take it, its fencing token, its
 * capability token, its expiry, renewal and release — is decided here from the stored lease columns.
 *
 * - A lease or claim is live iff `now < expiresAtMs` (strict: a TTL of 0 is expired at once).
 * - A process lease is held iff an owner is stored and the lease is live. Any held lease, the caller's own included,
 *   refuses a claim.
 * - A new lease gets fencing = stored fencing + 1; release keeps the fencing, so fencing tokens only grow.
 * - The capability token is `Ids.leaseToken(process, owner, fencing)`, derived, never stored: a lease is the live one
 *   iff it is held, has the stored owner and fencing, and carries that token.
 *
 * @since 0.1.0
 */
import type { ProcessId } from "../Identifiers.js"
import { Ids } from "../Ids.js"
import type { ProcessLease } from "../Process.js"
import type { LeaseColumns } from "./DriverRows.js"

/**
 * Live iff `nowMs < expiresAtMs`.
 *
 * @since 0.1.0
 */
export const isLive = (expiresAtMs: number, nowMs: number): boolean => nowMs < expiresAtMs

/**
 * The lease columns of a process that was never leased.
 *
 * @since 0.1.0
 */
export const unleased: LeaseColumns = { ownerId: null, fencing: 0, claimedAtMs: 0, expiresAtMs: 0 }

/**
 * True when the stored columns hold a live lease.
 *
 * @since 0.1.0
 */
export const isHeld = (stored: LeaseColumns, nowMs: number): boolean =>
  stored.ownerId !== null && isLive(stored.expiresAtMs, nowMs)

/**
 * The expiry of a lease or claim taken or renewed at `nowMs` for `ttlMs`.
 *
 * @since 0.1.0
 */
export const expiry = (nowMs: number, ttlMs: number): number => nowMs + ttlMs

/**
 * The lease a claim at `nowMs` creates over `stored` (which must not be held).
 *
 * @since 0.1.0
 */
export const next = (
  processId: ProcessId,
  ownerId: string,
  stored: LeaseColumns,
  nowMs: number,
  ttlMs: number
): ProcessLease => fromFencing(processId, ownerId, stored.fencing + 1, nowMs, expiry(nowMs, ttlMs))

/**
 * The lease with a given (already stored) fencing token.
 *
 * @since 0.1.0
 */
export const fromFencing = (
  processId: ProcessId,
  ownerId: string,
  fencing: number,
  claimedAtMs: number,
  expiresAtMs: number
): ProcessLease => ({
  processId,
  ownerId,
  leaseToken: Ids.leaseToken(processId, ownerId, fencing),
  fencingToken: fencing,
  claimedAtMs,
  expiresAtMs
})

/**
 * The columns that store `lease`.
 *
 * @since 0.1.0
 */
export const columns = (lease: ProcessLease): LeaseColumns => ({
  ownerId: lease.ownerId,
  fencing: lease.fencingToken,
  claimedAtMs: lease.claimedAtMs,
  expiresAtMs: lease.expiresAtMs
})

/**
 * True when `lease` is the live lease stored in `stored`: held, same owner and fencing, and its token is the one
 * derived from them.
 *
 * @since 0.1.0
 */
export const isCurrent = (stored: LeaseColumns, lease: ProcessLease, nowMs: number): boolean =>
  isHeld(stored, nowMs) && stored.ownerId === lease.ownerId && stored.fencing === lease.fencingToken &&
  Ids.leaseToken(lease.processId, lease.ownerId, lease.fencingToken) === lease.leaseToken

/**
 * True when `lease` is the one stored, live or not: a release of anything else is a no-op.
 *
 * @since 0.1.0
 */
export const isStored = (stored: LeaseColumns, lease: ProcessLease): boolean =>
  stored.ownerId === lease.ownerId && stored.fencing === lease.fencingToken &&
  Ids.leaseToken(lease.processId, lease.ownerId, lease.fencingToken) === lease.leaseToken

/**
 * The lease renewed at `nowMs` for `ttlMs` (same owner, same fencing).
 *
 * @since 0.1.0
 */
export const renewed = (lease: ProcessLease, nowMs: number, ttlMs: number): ProcessLease => ({
  ...lease,
  expiresAtMs: expiry(nowMs, ttlMs)
})

/**
 * The columns after a release: no owner, the fencing kept.
 *
 * @since 0.1.0
 */
export const released = (stored: LeaseColumns): LeaseColumns => ({
  ownerId: null,
  fencing: stored.fencing,
  claimedAtMs: 0,
  expiresAtMs: 0
})

/**
 * Why a process is parked: asleep until a deadline, or waiting for a signal (docs/architecture.md, "Processes and
 * leases", parked processes).
 *
 * @since 0.1.0
 */
export type ParkReason = "sleep" | "signal"

const PARKED_PREFIX = "parked:"

/**
 * The deadline that stands for "no deadline" (a process waiting for a signal only).
 *
 * @since 0.1.0
 */
export const NO_DEADLINE = Number.MAX_SAFE_INTEGER

/**
 * The columns of a parked process. Parking is stored in the lease columns, so every backend's claim predicate
 * already honours it: the row looks held by the owner `parked:<reason>` until its deadline, so no worker claims it and
 * no lease is live; at the deadline it is claimable like any expired lease. The fencing is kept.
 *
 * @since 0.1.0
 */
export const parked = (
  stored: LeaseColumns,
  reason: ParkReason,
  untilMs: number | null,
  nowMs: number
): LeaseColumns => ({
  ownerId: `${PARKED_PREFIX}${reason}`,
  fencing: stored.fencing,
  claimedAtMs: nowMs,
  expiresAtMs: untilMs ?? NO_DEADLINE
})

/**
 * The reason a row is parked for, when it is parked and its deadline has not passed.
 *
 * @since 0.1.0
 */
export const parkedReason = (stored: LeaseColumns, nowMs: number): ParkReason | undefined =>
  stored.ownerId !== null && stored.ownerId.startsWith(PARKED_PREFIX) && isLive(stored.expiresAtMs, nowMs)
    ? (stored.ownerId.slice(PARKED_PREFIX.length) as ParkReason)
    : undefined
