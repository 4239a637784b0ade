/**
 * The dated records of `docs/performance.md`: hand-written before/after tables and re-runs that `--write-docs`
 * keeps as they are when it regenerates the rest of the page from one run (Docs.ts). Add a record here when a change
 * is measured before and after on one machine.
 */
/** The night of 2026-12-06: paired gates, WAL page counts, fewer fibers per process run (a record, not regenerated). */
export const NIGHT_RECORD =
  `## The night of 2026-12-06: paired gates, WAL pages, fewer fibers per run (a record, not regenerated)

Two consecutive \`pnpm bench --quick\` runs at 00:02 and 00:09 (7 December, load 0.9 and 1.1 at their start; the second
wrote this page), on the same 2-core AMD EPYC machine as the evening record below. **This night the machine was
about twice as slow and far less steady than that evening**, with no other job running: raw SQLite alone (B0c at
NORMAL, no lash code) took 0.216–0.304 ms against 0.110 ms that evening, and B2 NORMAL on one unchanged tree (main)
took 1.66 to 4.02 ms in runs ten minutes apart. So this night's times neither confirm nor refute a gate; the exact counts
below (Effect steps per process, WAL pages per commit) are the reliable part.

| Gate | run 1 / run 2 | result |
|---|---|---|
| B1 FULL ≤ 1.5 × B0a, paired (new) | 3.67 / 3.69 (unpaired 3.07 / 3.39) | **MISS** (B0c alone: 2.40 / 1.92 × B0a) |
| B1 FULL ≤ 1.3 × B0c | 1.28 / 1.77 | pass / **MISS** |
| B1 FULL ≤ LangGraph's put, paired (new) | 1.80 / 1.80 (back to back 1.64 / 2.04) | **MISS** |
| B2 FULL sequential ≤ 8 × B0a, paired (new) | 15.8 / 12.4 (unpaired 30.4 / 19.0) | **MISS** |
| lash 3-step ÷ Restate's (B8) < 1 | 1.01 / 0.993 | **MISS** / pass |
| B4 t(10⁴)/t(10²), paired ≤ 2 | 0.992 / 0.988 | pass, twice |
| B5 growth 500/50 turns ≤ 1.5 | 1.24 / 1.24 | pass, twice |

What changed:
- **Paired gates** (\`Paired.ts\`). B1 and B2 at FULL are gated against B0a commits run right after each round of
  their own samples (100 commits, 20 processes), and B1 against LangGraph's put the same way (50 and 50, the
  checkpointer kept open): the gated figure is the median of the per-round ratios. The unpaired ratios stay in the
  table. Before, B0a was measured once at the start of the run; it moved from 0.11 to 0.18 ms between runs of the same
  evening, and a gate against it measured the disk as much as lash.
- **WAL pages per commit, by b-tree** (\`WalPages.ts\`, in B8): deterministic where times are not. A LangGraph put
  writes 5.0 pages (its table 2.0, the key index 1.0, an overflow page 1.0, the file header 1.0); a B1 commit 11.0
  (the node table 2.3 and its two indexes 1.2 + 1.0, the queued batch 1.3 and its open-work index 1.0, the stamp 1.0
  and its index 1.0, the session activity index 1.0, the file header 0.7, the head's overflow 0.4). That is the
  physical reason for both B1 misses; only one row per commit would close it.
- **Fewer fibers per process run** (\`internal/toolTimeout.ts\`, \`internal/leaseKeeper.ts\`,
  \`internal/processRun.ts\`): a tool attempt is one forked fiber instead of three (no \`disconnect\` +
  \`timeoutFail\` race); the run signals its interrupted work without forking a fiber to do it; under the live clock
  the renewals' fiber is forked only when the first renewal is due (a timer until then), so a run that ends first
  never forks it. Counted per B2 process (memory backend, exact): Effect steps 863 → 769, scheduled fiber drains
  22 → 12, interrupt unwinds 21 → 11, messages to fibers 40 → 22. CPU per process, \`dbbf153\` against these
  changes, builds alternated (medians over 14–22 samples of 800–1 000 processes on the loaded machine): memory
  2.53 → 2.37 ms, SQLite NORMAL 3.10 → 2.98 ms, SQLite FULL 3.32 → 2.77 ms; the NORMAL minimum went the other way
  (2.19 → 2.42 ms), so the gain is within this night's noise except in the counts.

B2 alone, the two trees alternated right before the runs (\`pnpm bench --quick --only B2\`, p50s):

| Figure | \`dbbf153\` | main |
|---|---|---|
| B2 sqlite/full sequential | 5.83 / 6.12 ms | 6.29 / 6.23 ms |
| B2 sqlite/normal sequential | 4.93 / 4.67 ms | 4.02 / 2.45 ms |

Checked while measuring (every statement of a B2 run logged): a process runs its two write units and no read; the
reads after them are B2's own exactly-once check.
`

export const MORNING_RECORD =
  `## The early morning of 2026-12-07: the fsync amplification, two B2 cuts (a record, not regenerated)

A fast, steady machine again (B0a FULL 0.090–0.106 ms, as on the evening of 12-06). \`pnpm bench --quick\` at 01:36
on the tree before tonight's changes, then three runs on the tree after them, at 02:26, 02:31 and the one that wrote
this page (its tables are above).

| Gate | 01:36 (before) | 02:26 | 02:31 | result |
|---|---|---|---|---|
| B1 FULL ≤ 1.5 × B0a, paired | 3.09 | 3.20 | 3.13 | **MISS** (B0c alone 2.30–2.32 × B0a) |
| B1 FULL ≤ 1.3 × B0c | 1.36 | 1.60 | 1.63 | **MISS** |
| B1 FULL ≤ LangGraph's put, paired | 1.75 | 1.65 | 1.97 | **MISS** |
| B2 FULL sequential ≤ 8 × B0a, paired | 9.12 | 8.64 | 5.34 | MISS / **pass** (B2 alone between them: 9.46, 7.14) |
| lash 3-step ÷ Restate's < 1 | 0.576 | 0.652 | 0.689 | pass |
| B4 paired ≤ 2 / B5 growth ≤ 1.5 | 1.01 / 1.24 | 1.02 / 1.24 | 1.01 / 1.24 | pass |

The B2 gate sits on its noise: B2 FULL's p50 was 2.04, 3.13 and 1.25 ms in the three full runs, and its paired ratio
went from 9.46 to 7.14 in two \`--only B2\` runs minutes apart. A fifth run at 03:02, after this page was written,
missed it again (12.0) on a machine that had slowed down (B0a FULL 0.130 ms, Lashlang loop5 307 ms against 149);
its B1 ratios were 3.13 (paired B0a), 1.42 (B0c) and 1.92 (paired put), the 3-step 0.620, B4 1.02, B5 1.24.

**Found: CPU work right after an fsync is slow, and only lash has much of it.** Timing every statement of a B1
commit and the gaps between them (SQLite's own calls wrapped), at FULL against NORMAL: lash's code between the
statements took 58–78 µs against 35–40 µs, and the statements other than \`COMMIT\` 54–61 µs against 34–36 µs, while
the \`COMMIT\` itself (the fsync) took 188–203 µs against 31–33 µs. Every gap was 1.5–2 × slower, the first (before
\`BEGIN\`, right after the claim's fsync) as much as the others. The same commit on the memory backend, no I/O of its
own, took 1.5–2.1 × as long right after a raw FULL commit as right after nothing, interleaved (now the B1 line
"memory commit right after a FULL commit", \`Amplification.ts\`); a tight JSON loop of 40–220 µs was not slowed at all.
So code with a large footprint pays for what the kernel's write path evicted, and the FULL gates charge lash's CPU
about twice while B0a, B0c and a LangGraph put have almost none to charge. In tonight's four runs lash's own part of a
commit (B1 − B0c) was 29–30 µs at NORMAL and 65–140 µs at FULL, on the same tree.

**Tried on raw SQLite and dropped** (B0c and B0d variants, interleaved, FULL): \`WITHOUT ROWID\` process and event
tables made a B2 process's rows slower (0.24–0.27 → 0.28–0.32 ms: the 1 KiB records overflow a \`WITHOUT ROWID\`
tree); a \`WITHOUT ROWID\` stamp table changed nothing and \`WITHOUT ROWID\` node rows made a commit slower
(0.20 → 0.22–0.25 ms); the commit's three reads (head, stamp, claimed batch) as one statement saved nothing
(NORMAL 0.083 → 0.083 ms). B0c also writes as many WAL pages as a B1 commit (11.9 against 11.0): the rows are the
floor, lash adds no page.

**Changed** (both B2):
- The terminal unit writes the record and releases the lease in one \`UPDATE\` (\`updateRecordAndLease\`, an optional
  driver fast path): 10 → 9 statements in a process's two write units; CPU per process −3 % (paired rounds, median
  0.97; noise-sized on its own).
- The run's cancel watch is a callback on the signal hub (\`internal/cancelWatch.ts\`), not a fiber: fibers started per
  process 5.03 → 4.03, messages to fibers 19.2 → 13.2, scheduled fiber drains 12.1 → 9.1; CPU per process −7 %
  (2.29 → 2.12 ms median of 6 alternated runs on a loaded machine).
- Together, \`b2("normal", 400, 0)\`, the tree before and after alternated twice on the quiet machine (three runs each,
  p50 ms): before 0.945 / 0.789 / 0.667 and 0.958 / 0.741 / 0.636, after 0.860 / 0.710 / 0.603 and
  0.835 / 0.699 / 0.581 (−8 to −10 %).
`

/** A dated record (not regenerated): the same quick benchmarks on one idle machine, before and after a change. */
export const HISTORY = `## Before and after the 2026-12-04 changes (a record, not regenerated)

p50s on the same machine (Intel Xeon × 2, databases in \`/tmp\`, B0a FULL 0.14 ms), the tree before
(\`50e1bab\`) and after, run back to back:

| Figure | before | after | what changed |
|---|---|---|---|
| B1 sqlite/full | 0.94 ms | 0.59 ms | lean units and statements on the driver connection; head revision from its column; one head decode |
| B1 sqlite/normal | 0.64 ms | 0.28 ms | same, plus canonical JSON ~2.5× and the \`Json\` schema ~2× faster |
| B2 sqlite/full sequential | 4.75 ms | 3.0 ms | the above, waits re-check only on their own process's signals, no per-wait timers, env cache |
| B3 full, 1 sub paused | 2.93 ms | 1.76 ms | an emit pokes the processes it started instead of sweeping, and does not re-read them |
| B3 full, 8 subs paused | 16.2 ms | 7.9 ms | same |
| B8 lash 3-step process | 15.0 ms | 7.8–9.7 ms | all of the above (Restate 3-step in the same runs: 8.8–9.6 ms) |
`

/** The storage engine (issue 14) and the issue-18 changes, measured on a saturated machine (a record). */
export const ENGINE_HISTORY =
  `## Before and after the storage engine and the 2026-12-06 changes (a record, not regenerated)

Measured on 2026-12-06 on the 2-core AMD EPYC machine while seven other jobs kept its 1-minute load average between
17 and 35, so every wall-clock figure is several times an idle machine's and whole-suite runs drifted with the load
(B0a FULL went from 0.25 ms to 2.3 ms between runs an hour apart). Two methods that survive that:

- **A/B in one process** (the rows below marked A/B): both trees' storage and core are imported into one Node
  process and run the same workload in alternating blocks (B1: 16 blocks × 30 commits at NORMAL after 200 warm-up
  commits each; B2: 8 blocks × 10 processes at FULL after 30 each), so load hits both alike; the figure is the ratio
  of the two p50s (and the median of the per-block ratios).
- **Ratios within one run** (\`pnpm bench --only B0,B1,B2,B3,B4,B5\`, three runs of each tree alternating, medians).

Trees: *before the engine* = \`378849a\` (the last commit without \`packages/core/src/storage\`), *engine* = \`ee7db24\`,
*now* = the commits of 2026-12-06 on top (CommitBase, register + lease in one unit, one race per run, window 128).

| Figure | before the engine → engine | engine → now | method |
|---|---|---|---|
| B1 sqlite/normal commit p50 | 1.06× (0.71 → 0.76 ms; per-block median 1.02×) | 0.85× (1.07 → 0.91 ms; per-block 0.92×) | A/B |
| B2 sqlite/full start → await p50 | 0.96× (116 → 111 ms; per-block median 0.80×) | 0.70× (55 → 39 ms; per-block 0.76×) | A/B |
| B1 / B0c at FULL (median of 3 runs) | 3.54 → 2.58 | — | within run |
| B1 / B0c at NORMAL (median of 3 runs) | 5.33 → 4.08 | — | within run |
| B4 t(10⁴)/t(10²) | 6.15 (one run, unpaired, load 17) | 1.15 and 1.06 in two runs (paired, median of 15 rounds each, load 15–30) | within run |
| B5 growth 500/50 turns | 2.32 | 1.24 in both runs (an idle session holds at most 128 active-path nodes) | within run (heap, not time) |

Read with care: B1's before → engine ratio (+2 to +6 %) is inside the A/B noise of this machine (two identical
trees measured 1.00 ± 0.05 the same way); B2 did not regress. The engine → now B1 gain is the commit no longer
decoding the head it wrote itself (\`storage/CommitBase.ts\`); the B2 gain is one write unit fewer per process (the
registering unit leases the process when the worker has a free slot) and no record read at the start of a run.

Not done, and why: B1's gates (≤ 1.5 × B0a, ≤ 1.3 × B0c, ≤ LangGraph's \`put\`) are missed. B0c, the same rows written with
raw prepared statements, is already 1.6–2.4 × B0a on this machine, so no implementation that writes B1's rows meets
1.5 × B0a. Storing frames and plugin snapshots content-addressed would not shrink B1 as defined: its plugin snapshot
carries the turn number, so it changes on every commit and would be written anyway (in a new row instead of the
head); it pays off for sessions whose frames and snapshots stay unchanged between turns, which B1 does not model, so
the stored layout is unchanged (no migration). The B2 gate (≤ 8 × B0a) and Restate's 3-step (B8) were not
re-measured on an idle machine in this session.

The commit's cost over B0c, cut on 2026-12-06 (afternoon; \`git log\` of \`packages/backends/sqlite/src/Client.ts\`):
the SQLite backend builds the stock \`SqlClient\` over its own better-sqlite3 handle (\`Client.ts\`) with a plain
prepared-statement cache (sqlite-node's \`Cache\` hashed each statement's text and read the clock: about half of a
12 µs statement) and a connection that runs a statement synchronously, which the SQL driver's runner
(\`SyncConnection\`, \`packages/backends/sql/src/Statements.ts\`) and the unit (\`Transaction.ts\`: lock, one step for
\`BEGIN\` and the body, one for \`COMMIT\`/\`ROLLBACK\`) use instead of an Effect per statement; Postgres keeps its path.
Canonical JSON quotes a long string with nothing to escape instead of copying it through \`JSON.stringify\` (4 KiB:
6 µs instead of 16 µs; B1's head 28 → 15 µs). The commit's check order and every write are unchanged. Measured on
the 2-core AMD EPYC machine while other jobs kept the load average at 5–16:

| Figure | before (\`e9fcada\`) | after | method |
|---|---|---|---|
| B1 sqlite/normal commit p50 | 1 | 0.61× and 0.79× (the two orders; ~0.70×) | A/B in one process, 16 alternating blocks × 40 commits, load 12–14 |
| B1 CPU per commit, NORMAL | 1 | 0.66× and 0.83× (~0.74×) | same A/B |
| B1 sqlite/full commit p50, CPU per commit | 1 | p50 0.86× and 0.83×, CPU 0.77× and 0.86× | the same A/B at FULL, load 7–14 (the disk's fsync made every FULL p50 3–5 ms) |
| B1 sqlite/normal p50 | 0.726 ms | 0.561 ms | \`pnpm bench --only B0,B1,B8 --quick\`, one run each, load 7–10 |
| B1 CPU per commit, NORMAL / FULL | 955 / 1197 µs | 765 / 1062 µs | same runs |
| B1 / B0c at NORMAL | 3.35 | 2.55 | same runs |
| B1 / LangGraph \`put\` at FULL | 2.48 | 1.04 | same runs (FULL p50s moved 2–7× with the disk's fsync latency, B0a FULL 0.22 vs 1.56 ms: not a result) |

Where a NORMAL commit's time goes now (hrtime marks inside the commit, medians of 3 000 commits, load 7; 512 µs in
all): encoding the two nodes and the head (Schema encode + canonical JSON) 124 µs, the two node inserts 69 µs, the
unit's entry (lock, \`BEGIN IMMEDIATE\`, the engine's and driver's layers) 57 µs and its exit (\`COMMIT\`'s WAL write,
the signal) 64 µs, the session read 30 µs (the 4.6 KiB head text, compared with the one this engine wrote), the
stamp and claim reads 25 µs, the head update 42 µs, the claim completion and the stamp 37 µs. A one-statement read
unit (\`exists\`) costs ~28 µs of CPU, ~5 µs of it SQLite's. What would close the rest: the Schema encode of values
the runtime built from already-validated parts (~30 µs: it validates every commit, so skipping it is a behaviour
change to decide, not a speed-up), fewer Effect steps per unit in the engine (\`storage/Unit.ts\`, the SQL driver's
unit runner: ~20 µs), one multi-row insert for the nodes (a shared statement; ~5 µs). Each is a few per cent; the
rows themselves (B0c) stay the floor.
`

/** The evening changes of 2026-12-06 (the turn commit, the process path, Postgres units), before and after (a record). */
export const EVENING_RECORD =
  `## The evening of 2026-12-06: the process path and the turn commit (a record, not regenerated)

\`pnpm bench --quick\` on the 2-core AMD EPYC machine with nothing else running: *before* at \`55b61f4\` (19:25, load
1.3), *after* two consecutive runs at 20:56 and 21:00 (load 2.3 and 1.2; the second wrote this page). Each figure is a
ratio within its own run; B0a FULL was 0.131, 0.180 and 0.109 ms in the three runs, so ratios to B0a move with the
disk as much as with lash.

| Gate | before | after (run 1 / run 2) | result |
|---|---|---|---|
| B1 FULL ≤ 1.3 × B0c | 1.31 | 1.18 / 1.20 | pass, twice |
| B1 FULL ≤ 1.5 × B0a | 2.76 | 2.30 / 3.57 | **MISS** (B0c alone: 1.95 / 2.98 × B0a) |
| B1 FULL ≤ LangGraph's put (B8) | 1.06 | 1.27 / 1.33 | **MISS** (B0c alone: 1.16 / 1.04 × the put) |
| B2 FULL sequential ≤ 8 × B0a | 20.8 (2.72 ms) | 9.52 (1.72 ms) / 15.5 (1.69 ms) | **MISS** |
| lash 3-step ÷ Restate's (B8) < 1 | 0.86 | 0.53 / 0.73 | pass, twice |
| B4 t(10⁴)/t(10²), paired ≤ 2 | 0.88 | 1.00 / 0.98 | pass, twice |
| B5 growth 500/50 turns ≤ 1.5 | 1.24 | 1.24 / 1.24 | pass, twice |

The two trees alternated right after (\`pnpm bench --quick --only B1,B2\`, base, main, base, main; p50s):

| Figure | \`55b61f4\` | main |
|---|---|---|
| B1 sqlite/full | 0.434 / 0.540 ms | 0.395 / 0.433 ms |
| B1 sqlite/normal | 0.225 / 0.282 ms | 0.184 / 0.185 ms |
| B2 sqlite/full sequential | 2.42 / 3.84 ms | 2.08 / 1.73 ms |
| B2 sqlite/normal sequential | 1.45 / 2.17 ms | 1.17 / 1.41 ms |

What changed: the process path (no stack captured per span; the process record a registry wrote is not decoded
again by its terminal write, \`storage/ProcessRecords.ts\`; an append to a row with no event skips the replay-key read,
6 statements per process instead of 7; one registration hash per start; renewals without a scope per run); the turn
commit (a \`Json\` subtree written by the compiled record writer; a unit body runs a synchronous driver's statements
in place, \`storage/Steps.ts\`); on Postgres the change notification goes with \`COMMIT\` (one round trip fewer per
unit). CPU per B2 process, measured by the helper that made these changes with builds alternated: 1274–1546 µs →
960–1363 µs (NORMAL, min per round of 1000). CPU per B1 commit: about −5 % (in-process A/B, 214 → 202 µs median).

Why the misses remain, from the same runs:
- **B2 ≤ 8 × B0a.** B0d (new: the write units of real B2 processes, recorded and replayed through raw
  better-sqlite3) takes 0.33 ms at FULL, 1.9–3.0 × B0a. The gate leaves 8 × B0a − B0d = 0.54–1.11 ms for lash,
  which spends 1.36–1.38 ms (B2 − B0d); at NORMAL a process is 1.09–1.27 ms of lash over 0.07 ms of rows. The
  profile of run 2 puts a B2 process at 36 % Effect runtime, 30 % SQLite, 19 % lash code, 6 % GC. What is left to
  cut: the interruptions that end a run's helper fibers (21 interrupt unwinds per process: the cancel watch, the
  renewal fiber, the tool's timeout), the record encoded twice (registration and terminal write), and one statement
  (the terminal write stores the record and releases the lease in two \`UPDATE\`s).
- **B1 ≤ 1.5 × B0a and B1 ≤ LangGraph's put.** B0c, B1's rows written by hand with no lash code, is already above
  the first bar in both runs and within 4–16 % of the second. B1's exact statements recorded and replayed raw cost
  0.08 ms at NORMAL and 0.29–0.32 ms at FULL (a one-off measurement, alternated with B0c and B1 in one process), so
  the rows are the floor, and a storage layout change is what both gates need. Measured for that, with B1's rows on
  a scratch database (WAL pages per commit, \`wal_autocheckpoint\` off): the current layout 11.5; the node and stamp
  tables \`WITHOUT ROWID\` 14.0 (1 KiB rows split more pages); the stamps alone \`WITHOUT ROWID\` 11.1; the plugin
  snapshot in its own row 12.1 when it changes (B1's does, it carries the turn) and 11.1 when it does not; pages of
  8 KiB or 16 KiB 10.2 / 9.5 pages but 82 / 152 KiB written instead of 47 KiB. None reaches the ~5 pages of a put:
  only one row per commit (nodes, stamp and checkpoint in one record, head and indexes derived) would.
`

/** The first B9 figures, taken on a busy machine (a record, not regenerated). */
export const COLD_START = `## Cold start, B9 (a record, not regenerated)

First figures of B9 (\`pnpm bench --only B9\`, quick: 10 runs after 2 warm-ups), on the 2-core AMD EPYC machine while
other jobs kept its 1-minute load average at 12 to 17, so every absolute number is several times what an idle
machine gives; the CPU column (user + system of the child, \`/usr/bin/time\`, median of 10) is steadier.

| process | wall p50 | ratio to bare node | CPU p50 |
|---|---|---|---|
| \`node -e ""\` (floor) | 247 ms | 1.00 | 0.06 s |
| import \`effect\`, run one effect | 1187 ms | 4.81 | 0.55 s |
| one-turn app, memory backend, from \`dist/\` | 2685 ms | 10.9 | 1.06 s |
| one-turn app, SQLite backend, from \`dist/\` | 3421 ms | 13.8 | 1.21 s |
| B7's Lashlang cold child, \`list100k\`, from \`dist/\` | 1977 ms | 8.01 | 0.63 s |

Where the one-turn app's start goes (in-process \`import()\` timings, same conditions, three runs): loading the
\`effect\` barrel is the largest share (0.55 to 1.4 s), then \`@lash/core\` (0.24 to 0.40 s, with Ajv and its formats),
\`@lash/backend-sqlite\` with the SQL driver and \`@effect/sql\` (0.18 to 0.28 s) and \`@lash/lashlang\` (0.06 to 0.19 s);
the turn itself is small. To re-measure on an idle machine: \`pnpm bench --only B9 --full\`.
`

/** The first Postgres figures (B6, B0pg, B1 and B2 on Postgres), on a saturated machine (a record). */
export const POSTGRES_RECORD = `## Postgres: B6, B0pg, B1 and B2 (a record, not regenerated)

First figures, 2026-12-06 (PostgreSQL 15.20 on the same 2-core AMD EPYC machine, loopback, \`synchronous_commit on\`,
\`fsync on\`): two runs of \`pnpm bench --only B6\` (quick: 400 processes per configuration), the second with
\`--only B0,B1,B2,B6\`, while other helpers' jobs kept the 1-minute load average at 10 to 16 (first run) and 7 to 9
(second): nearly every configuration ran with the machine's CPU 100 % busy, so these are the figures of a saturated
machine, not of lash's scaling. Both runs used a database of their own (\`LASH_PG_URL=…/lash_bench\`), so their
\`xact_commit\` figures are undisturbed. Each cell: first run / second run.

| B6 configuration | 1 worker | S(2) | S(4) | xact_commit / process (1, 2, 4 workers) | worker CPU / process |
|---|---|---|---|---|---|
| 20 ms tool, notify on | 12.1 / 23.6 per s | 2.11 / 1.11 (goal ≥ 1.7) | 0.85 / 0.60 (goal ≥ 3.0) | 4.57, 5.63, 7.74 / 4.56, 5.59, 7.70 | 30–40 ms |
| 20 ms tool, notify off | 18.9 / 51.7 per s | 1.10 / 0.65 (goal ≥ 1.7) | 0.82 / 0.60 (goal ≥ 3.0) | 3.57, 3.54, 3.63 / 3.56, 3.57, 3.63 | 26–35 ms |
| 0 ms tool, notify on | 10.4 / 33.1 per s | 0.97 / 1.36 | 1.83 / 1.09 | 4.26, 5.41, 7.53 / 4.27, 5.45, 7.55 | 25–37 ms |
| 0 ms tool, notify off | 14.6 / 42.4 per s | 0.72 / 0.95 | 0.94 / 1.36 | 3.34, 3.43, 3.53 / 3.44, 3.42, 3.54 | 25–32 ms |

A run before these on the shared \`test\` database (load 6) gave S(2) 1.04 / 1.30 and S(4) 1.05 / 1.21 (20 ms tool,
notify on / off), and a run after them on main at \`541a7f5\` (with the day's worker changes; load 9 to 16) gave
S(2) 1.18 / 1.11 and S(4) 1.00 / 1.22, \`xact_commit\` 4.48, 5.63, 7.64 / 3.55, 3.63, 3.65 and 27–42 ms of worker CPU
per process: the same pattern every time. Read with care:

- **S(N) is CPU-bound here, not I/O-bound.** A worker spends 25–40 ms of CPU per process (user + system, from \`GO\`
  to its end; the 20 ms sleep costs none), so one worker finishes at most ~30–40 processes/s on a core of its own,
  and with the machine already saturated the extra workers only compete for the same two cores: S(N) moves with
  the load (2.11 and 1.11 for the same configuration in two runs), not with N. The goal (S(2) ≥ 1.7, S(4) ≥ 3.0)
  needs a machine with a free core per worker plus the server's; it stays a reported gate below 4 cores.
- **That CPU is the Postgres path's.** B1 on Postgres costs 8.0–9.8 ms of CPU per commit in the bench process
  against 0.9–1.2 ms for the same commit on SQLite in the same runs; the V8 profile of a B1 Postgres run and of a
  B6 worker has the garbage collector as the largest item (33–39 % of samples), and \`--trace-gc\` shows the old
  space filling from ~45 to ~200 MB every ~2.3 s (about 1–2 MB promoted per commit or process). An allocation
  profile of B1 on Postgres (sampling, collected objects included) puts ~5 MB per commit in the SQL driver's
  statement builders (\`Dialect.ts\`, \`*Statements.ts\` of \`@lash/backend-sql\`): \`@lash/backend-postgres\` hands the
  driver a new \`Connection\` object per unit (\`Units.ts\`, \`connectionOf(lease)\`), so the driver's per-connection
  cache of compiled statements (\`SqlDriver.ts\`, a \`WeakMap\` keyed by the connection) misses on every unit and
  every statement group is built and compiled again. Keeping one \`Connection\` per pooled client brought B1
  postgres from 9.1–9.4 to 3.1–3.6 ms of CPU per commit (two runs each, back to back, load 6–8). **Fixed since**
  (\`Units.ts\`, \`pooledConnections\`: one \`Connection\` per pooled client, pointed at the lease holding it;
  statements read the lease when they run; \`test/pooledConnection.test.ts\` counts the compiles: 120 per unit
  before, none after a client's first unit): 500 B1 commits at load 4.3–4.5, before / after, ~3.3 / ~0.53 MB
  allocated per iteration (enqueue + claim + commit), CPU 8.67 / 3.27 ms per commit, GC pauses 26.4 / 1.8 % of the
  process CPU (\`PerformanceObserver\` \`gc\` entries), p50 5.5 / 4.5 ms; after it, \`pnpm bench --only B0,B1\` (load
  3.2–4.0): B1 postgres 2.75 ms CPU per commit against 1.03 for B1 sqlite/full, p50 3.91 ms = 4.79 × B0pg
  (0.816 ms). The B6 figures above predate the fix. The ~3 ms left against SQLite's ~1 ms is spread thin (the
  \`pg\` protocol, Effect's fiber runtime per statement, canonical JSON): no single item
  stands out in the allocation profile.
- **Write amplification** is the steady figure (the same to ±0.1 in both runs): without notify a process costs
  ~3.5 committed transactions of the workers whatever their number (its registration is not counted: the parent
  registers before the window opens). With notify each further worker adds about one transaction per process
  (4.6 → 5.6 → 7.7): every worker wakes on every other worker's commit and runs a unit that finds nothing to do.
- Exactly-once held in every configuration of all four runs (one \`process.completed\` per process, tool
  executions = processes).

| Postgres floor and ratios (\`--only B0,B1,B2\`, two runs, database \`lash_bench\`) | p50 | ratio |
|---|---|---|
| B0pg raw \`BEGIN; INSERT 512 B; COMMIT\` | 0.637 / 3.29 ms | — |
| B1 postgres (the commit of B1 sqlite) | 12.1 / 5.09 ms | 19.1 / 1.55 × B0pg |
| B2 postgres sequential (start → await) | 31.5 / 44.1 ms | 49.5 / 13.4 × B0pg |
| B2 postgres, 16 concurrent | 30.6 / 29.5 ms/process | 48.1 / 8.97 × B0pg |

The floor itself moved fivefold between the runs (the disk's fsync latency under the other jobs: B0a FULL was
1.84 / 3.94 ms in the same runs), so the ratios are not comparable between them; B1's CPU per commit (above) is
the steadier figure. Same runs on SQLite: B1 sqlite/full 1.29 / 3.48 ms, B2 sqlite/full sequential 15.3 / 6.77 ms.
`

export const QUIET_RERUNS = `## Re-runs of 2026-12-06 on a quiet machine (a record, not regenerated)

\`pnpm bench --quick\` on the same machine, with a load average of 1–1.5, after the canonical-JSON fast path for long
scalar lists and the one-item append of Lashlang (main at \`ae5852f\`). The B7 gate is now 1.5 × Rust.

| id | variant | p50 | baseline | ratio | gate | result |
| --- | --- | --- | --- | --- | --- | --- |
| B7 | lashlang/loop5 (two runs) | 492 / 506 ms | Rust 590 ms | 0.83 / 0.86 | ≤ 1.5 | pass |
| B7 | lashlang/list100k (two runs) | 42.7 / 34.1 ms | Rust 64 ms | 0.67 / 0.53 | ≤ 1.5 | pass |
| B1 | sqlite/full | 0.895 ms | B0a / B0c | 5.12 / 1.83 | ≤ 1.5 B0a, ≤ 1.3 B0c | **MISS** |
| B2 | sqlite/full sequential | 4.84 ms | B0a | 27.7 | ≤ 8 | **MISS** |
| B8 | lash B1 commit ÷ LangGraph put | 0.697 / 0.341 ms | langgraph put | 2.04 | ≤ 1 | **MISS** |
| B8 | lash 3-step ÷ Restate 3-step | 13.4 / 11.4 ms | restate 3-step | 1.18 | < 1 | **MISS** |

The B8 process figure was 1.24 × Restate on the tree of the start of the day (\`1abb8cb\`), measured in the same
hour, so this stop did not cause it. B2 p50s alternated between the two trees, back to back, came out at 5.7–6.1 ms
for both: the sequential B2 figure moves with the disk's fsync latency more than with either tree.
`

export const AFTERNOON_RECORD =
  `## The afternoon of 2026-12-06: after the Postgres connection fix (a record, not regenerated)

\`pnpm bench --quick\` on a 2-core AMD EPYC machine with nothing else running (load 2.5 at the start), main at
\`105663d\`: after the worker fixes of the afternoon, the SQLite client of the backend (\`packages/backends/sqlite/src/Client.ts\`),
and one \`Connection\` per pooled Postgres client (\`packages/backends/postgres/src/Units.ts\`). This machine is slower
than the morning's (B0c 0.557 ms against 0.49 ms; B2 on the morning's tree \`e9fcada\` measured here: 6.9–7.8 ms).

| id | variant | p50 | baseline | ratio | gate | result |
| --- | --- | --- | --- | --- | --- | --- |
| B1 | sqlite/full | 1.14 ms (CPU 939 µs) | B0a / B0c | 6.15 / 2.05 | ≤ 1.5 B0a, ≤ 1.3 B0c | **MISS** |
| B1 | sqlite/normal | 0.555 ms (CPU 716 µs) | B0c normal | 2.49 | | |
| B1 | postgres | 3.95 ms (CPU 2.59 ms) | B0pg 0.567 ms | 6.96 | | |
| B2 | sqlite/full sequential | 6.88 ms | B0a | 37.2 | ≤ 8 | **MISS** |
| B2 | postgres sequential | 11.7 ms | B0pg | 20.6 | | |
| B8 | lash B1 commit ÷ LangGraph put | 1.16 / 0.473 ms | langgraph put | 2.46 | ≤ 1 | **MISS** |
| B8 | lash 3-step ÷ Restate 3-step | 17.8 / 13.7 ms | restate 3-step | 1.30 | < 1 | **MISS** |

B2, the morning's tree against this one on the same machine, alternating, two runs each: FULL 7.82 / 6.92 ms
(\`e9fcada\`) against 7.98 / 7.01 ms (\`105663d\`), NORMAL 5.17 / 4.83 against 5.57 / 4.84 ms: the process path did not
change speed with the afternoon's worker fixes (the lease check before each effect is a clock read, not a store
read). The B2 and B8 figures above are this machine's, not a regression.

B6 after the Postgres connection fix, same run (400 processes per configuration, database \`test\`, no other client):

| B6 configuration | 1 worker | S(2) | S(4) | xact_commit / process (1, 2, 4) | worker CPU / process (1, 2, 4) |
|---|---|---|---|---|---|
| 20 ms tool, notify on | 102 per s | 1.09 | 0.83 | 4.67, 5.62, 7.68 | 11.9, 13.4, 18.0 ms |
| 20 ms tool, notify off | 132 per s | 1.06 | 0.95 | 3.79, 3.69, 3.75 | 8.1, 9.6, 11.4 ms |
| 0 ms tool, notify on | 149 per s | 0.98 | 0.71 | 4.15, 5.36, 7.48 | 7.0, 9.4, 13.8 ms |
| 0 ms tool, notify off | 164 per s | 1.04 | 0.86 | 3.21, 3.43, 3.35 | 6.2, 7.6, 9.2 ms |

One worker now completes 102–164 processes/s (12–24 per s before the fix, under load), at 6–12 ms of worker CPU per
process (25–40 ms before). The speed-up is still flat: with one worker the machine's two cores were already 78–81 %
busy (the worker, Postgres's backends and the bench's own monitor), so a second and a fourth worker have no core to
run on. S(2) ≥ 1.7 and S(4) ≥ 3.0 need a free core per worker plus the server's. Exactly-once held in every
configuration. The multi-worker test (\`packages/backends/postgres/test/workers.test.ts\`) ran its 2,000 processes in
63 s here (wave 1, 1,000 processes on 4 workers, in 23 s).
`
