// A process started by `npm start`'s supervisor (ODCS_SUPERVISOR_PID) exits when the supervisor is
// gone, e.g. killed with SIGKILL, instead of living on as an orphan holding its port.
export function exitWithSupervisor(onGone: () => void, intervalMs = 2_000): void {
  const pid = Number(process.env.ODCS_SUPERVISOR_PID);
  if (!Number.isInteger(pid) || pid <= 1) return;
  setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') onGone();
    }
  }, intervalMs).unref();
}
