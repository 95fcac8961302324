/**
 * Noticing that the process which started this one has gone. `npx muxbench serve …` runs npm, which runs
 * `sh -c muxbench …`, which runs node: SIGTERM to npx's pid ends npm and the shell but is not passed on,
 * and the server would serve on as an orphan. An orphan is re-parented (to init or a subreaper), so its
 * ppid changes: polling it is the portable parent-death check (Linux's PR_SET_PDEATHSIG is not in Node).
 */

/** How often the parent is checked: an orphan is noticed within this long. */
export const PARENT_POLL_MS = 500;

/**
 * Calls `onGone` once, when this process's parent has exited. Started by init itself (ppid 1) there is no
 * parent to lose. The timer does not keep the process alive; the returned function stops watching.
 */
export function watchParent(onGone: () => void, intervalMs = PARENT_POLL_MS): () => void {
  const parent = process.ppid;
  if (parent <= 1) return () => {};
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
