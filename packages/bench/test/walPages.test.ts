/**
 * WAL pages per commit by b-tree (src/WalPages.ts): the reader's snapshot keeps every frame in the WAL, and each
 * commit's pages are named by the b-tree that owns them; a row with an index touches the table and the index once
 * per commit, and a row larger than a page adds its overflow pages.
 */
import Database from "better-sqlite3"
import { describe, expect, it } from "vitest"
import { tempDir } from "../src/Fixtures.js"
import { walPages } from "../src/WalPages.js"

const workload = (file: string, body: string, commits: number) => async () => {
  const db = new Database(file)
  db.pragma("journal_mode = WAL")
  db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL, body TEXT NOT NULL)")
  db.exec("CREATE INDEX items_label ON items (label)")
  const insert = db.prepare("INSERT INTO items (label, body) VALUES (?, ?)")
  // More commits than the default autocheckpoint (1000 pages) would keep: the reader's snapshot keeps them all.
  for (let i = 0; i < commits; i++) insert.run(`label-${String(i).padStart(6, "0")}`, body)
  db.close()
}

describe("walPages", () => {
  it("counts about one table page and one index page for a small row", async () => {
    const tmp = tempDir("wal-pages-test")
    try {
      const file = tmp.file("small.db")
      const pages = await walPages(file, workload(file, "x", 1200), (c) => c.has("items"), 100)
      expect(pages.perCommit.n).toBe(100)
      const owners = new Map(pages.byOwner)
      // One leaf each per commit, plus now and then a split (a new leaf and its parent page).
      for (const tree of ["items", "items_label"]) {
        expect(owners.get(tree), tree).toBeGreaterThanOrEqual(1)
        expect(owners.get(tree), tree).toBeLessThan(1.5)
      }
    } finally {
      tmp.dispose()
    }
  })

  it("adds the overflow pages of a row larger than a page", async () => {
    const tmp = tempDir("wal-pages-test")
    try {
      const file = tmp.file("large.db")
      const pages = await walPages(file, workload(file, "y".repeat(10_000), 200), (c) => c.has("items"), 50)
      const owners = new Map(pages.byOwner)
      // 10 000 bytes over 4 KiB pages: the leaf keeps a little, two or three overflow pages carry the rest.
      expect(owners.get("items overflow")).toBeGreaterThanOrEqual(2)
      expect(owners.get("items overflow")).toBeLessThanOrEqual(3)
      expect(pages.perCommit.p50).toBeGreaterThanOrEqual(4)
    } finally {
      tmp.dispose()
    }
  })
})
