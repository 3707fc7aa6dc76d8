import { type Stats, unwatchFile, watchFile } from 'node:fs';

/**
 * Calls `onChange` (once, after the files settle for `settleMs`) when any of `paths` changes. Polls with
 * stat, which follows symbolic links: this also sees Kubernetes Secret and ConfigMap volumes, which are
 * updated by swapping a `..data` symlink rather than by writing the files. The timers never keep the
 * process alive. Returns a function that stops watching.
 */
export function watchFiles(paths: readonly string[], intervalMs: number, onChange: () => void, settleMs = Math.min(200, intervalMs)): () => void {
  let timer: NodeJS.Timeout | null = null;
  const listener = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs === previous.mtimeMs && current.ino === previous.ino && current.size === previous.size && current.ctimeMs === previous.ctimeMs) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, settleMs);
    timer.unref();
  };
  const unique = [...new Set(paths)];
  for (const path of unique) watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => {
    if (timer !== null) clearTimeout(timer);
    for (const path of unique) unwatchFile(path, listener);
  };
}
