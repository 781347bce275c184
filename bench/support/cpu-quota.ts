import fs from 'node:fs';
import path from 'node:path';

/** The cgroup v1 cpu controller's mount (Debian with cgroup v1 or hybrid). */
const CPU_CGROUP = '/sys/fs/cgroup/cpu';
const PERIOD_US = 100_000;

/**
 * Caps one process at `cores` CPUs with a cgroup of its own (cfs quota), as
 * if it ran on a small machine of its own: on one shared machine the three
 * nodes otherwise take CPU from each other, which hides what spreading work
 * over nodes gains. Needs root and a writable cgroup v1 cpu controller.
 * Returns the cgroup's directory, to remove once the process has exited.
 */
export function capProcessCpu(pid: number, cores: number, name: string): string {
  if (!fs.existsSync(path.join(CPU_CGROUP, 'cgroup.procs')))
    throw new Error(`BENCH_NODE_CPU needs the cgroup v1 cpu controller at ${CPU_CGROUP}.`);
  const dir = path.join(CPU_CGROUP, `chat-bench-${name}-${pid}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
  fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), String(Math.round(cores * PERIOD_US)));
  fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
  return dir;
}

/** Removes a cgroup made by capProcessCpu (it must be empty: its process has exited). */
export function removeCpuCap(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // Still in use or gone already: the kernel frees an empty cgroup's memory when it is removed later.
  }
}

/** BENCH_NODE_CPU: cores per chat node, or undefined for no cap. */
export function nodeCpuCap(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.BENCH_NODE_CPU;
  if (raw === undefined || raw === '') return undefined;
  const cores = Number(raw);
  if (!Number.isFinite(cores) || cores <= 0)
    throw new Error(`BENCH_NODE_CPU must be a positive number, not "${raw}".`);
  return cores;
}
