import { mkdirSync, rmdirSync } from "node:fs";
import { rmdir, stat, utimes } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** How long a lock may go un-refreshed before its holder is taken for dead (kill -9). */
export const STALE_LOCK_MS = 5_000;
/** How long a holder waits between refreshes: well inside the stale limit. */
const REFRESH_MS = STALE_LOCK_MS / 5;
/** How long acquiring waits for a live holder: longer than a dead holder's lock takes to go stale. */
const LOCK_WAIT_MS = 10_000;

/** Locks this process holds, removed if it exits while holding one. */
const held = new Set<string>();
let exitHookInstalled = false;

/**
 * The ledger's cross-process lock: a directory next to the ledger, which only one process
 * can create (mkdir is atomic on every local file system) and its holder removes. Its
 * mtime is the holder's heartbeat: refreshed while the lock is held long, and a lock not
 * refreshed for STALE_LOCK_MS is taken for a dead holder's and removed.
 *
 * It replaced proper-lockfile, which does the same with more work per cycle (a stat after
 * every mkdir, graceful-fs and retry wrappers): 6% of a paid call's CPU in the server's
 * profile, for a lock taken two or three times per call. The mkdir is synchronous: the
 * caller waits for it anyway, and it takes microseconds on a local disk where the promise
 * version costs a round trip through libuv's thread pool. The rmdir (a journal write on
 * ext4, 0.06-0.13 ms) runs in the pool, after the operations it guarded have settled.
 */
export async function acquireLedgerLock(ledgerPath: string, onLost: (message: string) => void): Promise<() => Promise<void>> {
  const path = `${ledgerPath}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(path);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (await removeIfStale(path)) continue;
    if (Date.now() >= deadline) {
      throw Object.assign(new Error(`the lock ${path} has been held by another process for over ${LOCK_WAIT_MS / 1000} s`), { code: "ELOCKED" });
    }
    // Jittered, so processes that wait together do not retry in step.
    await sleep(1 + Math.random() * 3);
  }
  installExitHook();
  held.add(path);
  let released = false;
  let refresher = setTimeout(function refresh() {
    const now = new Date();
    utimes(path, now, now).then(
      () => {
        if (!released) refresher = setTimeout(refresh, REFRESH_MS);
      },
      (error: Error) => {
        if (!released) onLost(`ledger lock ${path} lost while held: ${error.message}`);
      },
    );
  }, REFRESH_MS);
  return async () => {
    released = true;
    clearTimeout(refresher);
    // Forgotten first: once the rmdir is done another process may hold the lock, and this
    // process's exit hook must never remove that one.
    held.delete(path);
    await removeLockDir(path);
  };
}

/** Removes the lock if its holder stopped refreshing it; true when it is gone (removed, or released meanwhile). */
async function removeIfStale(path: string): Promise<boolean> {
  let mtimeMs: number;
  try {
    ({ mtimeMs } = await stat(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw error;
  }
  if (Date.now() - mtimeMs <= STALE_LOCK_MS) return false;
  await removeLockDir(path);
  return true;
}

/** Removes the lock directory; one already gone is no error. */
async function removeLockDir(path: string): Promise<void> {
  await rmdir(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A process that exits mid-operation (an uncaught error, process.exit) leaves no lock behind for others to wait out.
  process.once("exit", () => {
    for (const path of held) {
      try {
        rmdirSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    }
  });
}
