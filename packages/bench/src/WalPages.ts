/**
 * WAL pages per commit, by b-tree: what a commit physically writes. At synchronous FULL a commit appends its pages to
 * the WAL and syncs it once, so the page count is the part of a commit's cost that no code can remove, and unlike a
 * time it does not move with the machine's load. A reader connection holds a snapshot from before the workload for
 * the whole run, so no checkpoint can reset the WAL and every frame stays in it; the frames are then read from the
 * file and each page is named by the b-tree that owns it at the end (SQLite's `dbstat` table).
 */
import Database from "better-sqlite3"
import { readFileSync } from "node:fs"
import { summarize, type Summary } from "./Stats.js"

/** The pages of one commit, by owner (`<b-tree>`, `<b-tree> overflow`, `free now`). */
export type CommitPages = ReadonlyMap<string, number>

export interface WalPages {
  /** Pages per selected commit. */
  readonly perCommit: Summary
  /** Mean pages per selected commit by owner, largest first. */
  readonly byOwner: ReadonlyArray<readonly [string, number]>
}

const WAL_HEADER = 32
const FRAME_HEADER = 24

/** Every commit in `file`'s WAL, in order, with its pages by owner. */
const commitsOf = (file: string, db: Database.Database): ReadonlyArray<CommitPages> => {
  const wal = readFileSync(`${file}-wal`)
  const pageSize = wal.readUInt32BE(8)
  const salt = [wal.readUInt32BE(16), wal.readUInt32BE(20)]
  const owner = new Map<number, string>()
  const pages = db.prepare("SELECT name, pageno, pagetype FROM dbstat").all() as ReadonlyArray<
    { readonly name: string; readonly pageno: number; readonly pagetype: string }
  >
  for (const p of pages) owner.set(p.pageno, p.pagetype === "overflow" ? `${p.name} overflow` : p.name)
  const commits: Array<CommitPages> = []
  let current = new Map<string, number>()
  for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= wal.length; at += FRAME_HEADER + pageSize) {
    if (wal.readUInt32BE(at + 8) !== salt[0] || wal.readUInt32BE(at + 12) !== salt[1]) break
    const name = owner.get(wal.readUInt32BE(at)) ?? "free now"
    current.set(name, (current.get(name) ?? 0) + 1)
    // A commit frame carries the database size after the commit; other frames carry 0.
    if (wal.readUInt32BE(at + 4) !== 0) {
      commits.push(current)
      current = new Map()
    }
  }
  return commits
}

/**
 * Runs `workload` against the database `file` (created here in WAL mode) and counts the pages of the last `last`
 * commits that `select` keeps (by the owners it touched).
 */
export const walPages = async (
  file: string,
  workload: () => Promise<void>,
  select: (commit: CommitPages) => boolean,
  last = 50
): Promise<WalPages> => {
  const reader = new Database(file)
  try {
    reader.pragma("journal_mode = WAL")
    reader.exec("BEGIN")
    reader.prepare("SELECT count(*) FROM sqlite_schema").get()
    await workload()
    reader.exec("COMMIT")
    const chosen = commitsOf(file, reader).filter(select).slice(-last)
    const total = new Map<string, number>()
    for (const commit of chosen) for (const [name, n] of commit) total.set(name, (total.get(name) ?? 0) + n)
    return {
      perCommit: summarize(chosen.map((c) => [...c.values()].reduce((a, b) => a + b, 0))),
      byOwner: [...total].map(([name, n]) => [name, n / Math.max(1, chosen.length)] as const).sort((a, b) =>
        b[1] - a[1]
      )
    }
  } finally {
    reader.close()
  }
}

/** `lash_graph_nodes 2.0, …`: the owners of a count, one decimal. */
export const ownersLine = (pages: WalPages, top = 8): string =>
  pages.byOwner.slice(0, top).map(([name, n]) => `${name} ${n.toFixed(1)}`).join(", ")
