import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

// What a benchmark run cost, read from Linux's /proc: the CPU time one process used, and how much
// of the machine's time the hypervisor gave to someone else (steal). Throughput on a shared virtual
// machine drifts with its neighbours; CPU time per request mostly does not, so it shows a change
// in the code apart from a change in the host. Elsewhere (no /proc) both are undefined.

const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU seconds the process has used so far. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    // After "pid (comm) " the fields start at state (field 3): utime and stime are fields 14 and 15.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

export interface HostTimes {
  total: number;
  steal: number;
}

/** The machine's CPU time so far, all of it and the part stolen (the `cpu` line of /proc/stat). */
export function hostTimes(): HostTimes | undefined {
  try {
    const [label, ...values] = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
    if (label !== 'cpu') return undefined;
    const ticks = values.map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user).
    return { total: ticks.slice(0, 8).reduce((a, b) => a + b, 0), steal: ticks[7] ?? 0 };
  } catch {
    return undefined;
  }
}

/** Percentage of the machine's time stolen between two readings. */
export function stealPercent(before: HostTimes | undefined, after: HostTimes | undefined): number | undefined {
  if (!before || !after || after.total === before.total) return undefined;
  return (100 * (after.steal - before.steal)) / (after.total - before.total);
}
