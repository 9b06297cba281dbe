import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, futimesSync, openSync, renameSync, rmdirSync, statSync, unlinkSync, type BigIntStats } from "node:fs";
import { unlink } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** How long a lock may go un-refreshed before its holder is taken for dead (kill -9) or stuck. */
export const STALE_LOCK_MS = 5_000;
/** How long a holder waits between refreshes: well inside the stale limit. */
const REFRESH_MS = STALE_LOCK_MS / 5;
/** How long acquiring waits for a live holder: longer than a dead holder's lock takes to go stale. */
const LOCK_WAIT_MS = 10_000;

/** The ledger lock as one process holds it. */
export interface LedgerLock {
  /**
   * Whether the lock file is still the one this process created. False once another
   * process took it over as stale (this one did not refresh it for STALE_LOCK_MS: paused,
   * or its event loop blocked), and from then on: this process must not write to the ledger.
   */
  held(): boolean;
  /** Gives the lock back; one taken over by another process is left to it. */
  release(): Promise<void>;
}

/** Lock files this process holds (path → inode), removed if it exits while holding one. */
const heldLocks = new Map<string, bigint>();
let exitHookInstalled = false;

/**
 * The ledger's cross-process lock: a file next to the ledger, which only one process can
 * create (O_CREAT|O_EXCL is atomic on local file systems) and its holder removes. Its mtime
 * is the holder's heartbeat: refreshed while the lock is held long, and a lock not refreshed
 * for STALE_LOCK_MS is taken for a dead or stuck holder's and taken over.
 *
 * The holder keeps the file open, so its inode number is a token no other file can share
 * while it holds it: the holder checks that the file at the path is still that inode before
 * each write and before removing it. A holder paused past the stale age (SIGSTOP, a main
 * thread blocked by a slow HTML conversion) so finds its lock taken over and neither writes
 * nor removes the new holder's lock. The check and the write are two system calls, and a
 * pause landing exactly between them would let one write through: the ledger's append check
 * (fileStore.ts) is what makes that safe. A directory, which the path held before (and an
 * older version of this server still creates), blocks the same way and is taken over the
 * same way; the file is what lets the token be read from the open descriptor, with no gap
 * after creating it in which another process could swap the entry.
 *
 * A stale lock is taken over by renaming it to a name of this process's own, which only one
 * process can do, and checking that what was moved is the lock judged stale (same inode and
 * birth time, still not refreshed) before removing it. Judging by the path and removing by
 * the path, as this did before, let a process that judged a dead holder's lock stale remove
 * the lock another process had just created in its place: two holders.
 *
 * It replaced proper-lockfile, which did more work per cycle (graceful-fs and retry
 * wrappers): 6% of a paid call's CPU in the server's profile, for a lock taken two or three
 * times per call. A cycle is an open and an fstat to take it, a stat before each write, a
 * stat, an unlink and a close to give it back: the stats take about a microsecond each (the
 * inode is cached). The unlink (a journal write on ext4, like the rmdir of a directory lock)
 * runs in libuv's pool, after the operations it guarded have settled.
 */
export async function acquireLedgerLock(ledgerPath: string, onLost: (message: string) => void): Promise<LedgerLock> {
  const path = `${ledgerPath}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  let fd: number | undefined;
  for (;;) {
    fd = tryCreate(path);
    if (fd !== undefined) break;
    if (takeOverIfStale(path)) continue;
    if (Date.now() >= deadline) {
      throw Object.assign(new Error(`the lock ${path} has been held by another process for over ${LOCK_WAIT_MS / 1000} s`), { code: "ELOCKED" });
    }
    // Jittered, so processes that wait together do not retry in step.
    await sleep(1 + Math.random() * 3);
  }
  const descriptor = fd;
  const ino = fstatSync(descriptor, { bigint: true }).ino;
  installExitHook();
  heldLocks.set(path, ino);
  let released = false;
  let lost = false;
  const held = (): boolean => {
    if (!lost && !isLock(path, ino)) {
      lost = true;
      heldLocks.delete(path);
    }
    return !lost;
  };
  let refresher = setTimeout(function refresh() {
    if (released) return;
    if (!held()) {
      onLost(`ledger lock ${path} lost while held: this process did not refresh it for ${STALE_LOCK_MS / 1000} s (paused, or its event loop blocked) and another process took it over`);
      return;
    }
    const now = new Date();
    try {
      // Through the descriptor: never another process's lock, even if this one was just taken over.
      futimesSync(descriptor, now, now);
    } catch (error) {
      onLost(`ledger lock ${path} could not be refreshed: ${(error as Error).message}`);
      return;
    }
    refresher = setTimeout(refresh, REFRESH_MS);
  }, REFRESH_MS);
  return {
    held,
    async release() {
      released = true;
      clearTimeout(refresher);
      try {
        // Checked, then removed: a holder that lost the lock leaves the new holder's alone.
        // Forgotten first: once the unlink is done another process may hold the lock, and
        // this process's exit hook must never remove that one.
        if (held()) {
          heldLocks.delete(path);
          await unlink(path).catch((error: NodeJS.ErrnoException) => {
            if (error.code !== "ENOENT") throw error;
          });
        }
      } finally {
        closeSync(descriptor);
      }
    },
  };
}

/** Creates the lock file; its descriptor, or undefined when another process holds the lock. */
function tryCreate(path: string): number | undefined {
  try {
    return openSync(path, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw error;
  }
}

/** Takes over the lock if its holder stopped refreshing it; true when it is gone (taken over, or released meanwhile). */
function takeOverIfStale(path: string): boolean {
  let judged: BigIntStats;
  try {
    judged = statSync(path, { bigint: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw error;
  }
  if (!isStale(judged)) return false;
  const aside = `${path}.stale-${process.pid}-${randomBytes(6).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    // Another process took it over first.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw error;
  }
  const moved = statSync(aside, { bigint: true });
  // The judged holder is dead and its descriptor closed, so its inode number may be reused: the birth time tells them apart.
  if (moved.ino === judged.ino && moved.birthtimeNs === judged.birthtimeNs && isStale(moved)) {
    remove(aside, moved);
    return true;
  }
  // Between the stat and the rename another process took the lock over and created its own,
  // or the holder refreshed it: what was moved is a live lock and goes back, the same inode
  // for its holder's checks. Should a process have created a lock at the path meanwhile, the
  // rename replaces it, and that process's first check finds its lock lost: it writes nothing.
  try {
    renameSync(aside, path);
  } catch {
    // The path holds a directory now: the moved lock's holder finds it lost and writes nothing.
    remove(aside, moved);
  }
  return false;
}

function isStale(lock: BigIntStats): boolean {
  return Date.now() - Number(lock.mtimeMs) > STALE_LOCK_MS;
}

function remove(path: string, lock: BigIntStats): void {
  if (lock.isDirectory()) rmdirSync(path);
  else unlinkSync(path);
}

/** Whether the lock file at `path` is still this inode; any doubt (gone, unreadable) is a no. */
function isLock(path: string, ino: bigint): boolean {
  try {
    return statSync(path, { bigint: true }).ino === ino;
  } catch {
    return false;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A process that exits mid-operation (an uncaught error, process.exit) leaves no lock behind for others to wait out.
  process.once("exit", () => {
    for (const [path, ino] of heldLocks) {
      try {
        if (isLock(path, ino)) unlinkSync(path);
      } catch {
        // Already gone: nothing to release.
      }
    }
  });
}
