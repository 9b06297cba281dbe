import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Milliseconds per clock tick of /proc (USER_HZ, 100 on Linux). */
const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
  } catch {
    return 10;
  }
})();

/** CPU time (utime + stime) of a process so far, ms, from /proc/<pid>/stat; 0 when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After "pid (comm) ", fields count from state (3rd); utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Busy and total time of all cores so far, ms, from /proc/stat (idle and iowait count as not busy). */
export function machineCpuMs(): { busy: number; total: number } {
  const ticks = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
}

/** CPU ms so far of this process and every process below it, by pid, with each one's command name. */
export function treeCpuMs(root = process.pid): Map<number, { comm: string; cpuMs: number }> {
  const parentOf = new Map<number, number>();
  const commOf = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parentOf.set(Number(entry), Number(fields[1]));
      commOf.set(Number(entry), comm);
    } catch {
      // gone meanwhile
    }
  }
  const tree = new Map<number, { comm: string; cpuMs: number }>();
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parentOf.get(p), hops++) if (p === root) return true;
    return false;
  };
  for (const [pid, comm] of commOf) if (inTree(pid)) tree.set(pid, { comm, cpuMs: processCpuMs(pid) });
  return tree;
}

/** How busy the machine is over the next `ms` (0..1): whether something else is running before a benchmark starts. */
export async function machineBusyOver(ms = 1000): Promise<number> {
  const a = machineCpuMs();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = machineCpuMs();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
}

/** A share as a whole percentage, e.g. "42%". */
export function pct(x: number): string {
  return `${(x * 100).toFixed(0)}%`;
}
