import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The path of `command` found on PATH, as a shell finds it; throws (failing the test, never skipping it)
 * when it is missing — scripts/ensure-test-servers.sh installs what the tests need.
 */
export function onPath(command: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, command);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  throw new Error(`${command} is not on PATH (${process.env.PATH ?? ''}); scripts/ensure-test-servers.sh installs it`);
}
