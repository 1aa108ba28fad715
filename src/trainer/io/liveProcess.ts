/** Whether a process named in a file (a run's trainer, a lock's holder, a temp file's writer) still runs. */

/** Whether process `pid` still runs on this host (signal 0 tests for it without touching it). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
