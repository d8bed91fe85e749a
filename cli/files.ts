import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError, oneLine } from './errors.js';

const MAX_INPUT_BYTES = 1024 * 1024;

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return oneLine((error as Error).message);
  }
}

/** Reads a small text input (key, certificate, CSR); `what` names it in errors, e.g. "--key". */
export async function readInputFile(path: string, what: string): Promise<string> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path}: ${describeFsError(error)}`);
  }
  if (size > MAX_INPUT_BYTES) throw new CliError(`${what} ${path} is larger than 1 MiB; is it the right file?`);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path}: ${describeFsError(error)}`);
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Fails when any of `paths` exists, unless `force`; checked before writing anything so no half-written set is left. */
export async function refuseOverwrite(paths: readonly string[], force: boolean): Promise<void> {
  if (force) return;
  for (const path of paths) {
    if (await exists(path)) throw new CliError(`${path} already exists; refusing to overwrite it (use --force to replace it)`);
  }
}

/**
 * Writes `data` to `path` through a temporary file and a rename, so a reader never sees a partial
 * file and a private key is never readable by others, not even briefly (created with `mode`).
 */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, data, { mode, flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new CliError(`cannot write ${path}: ${describeFsError(error)}`);
  }
}

/**
 * Creates `dir` and its missing parents (mode 0700 when new) or accepts an existing directory.
 * Not `mkdir({ recursive: true })`: it retries forever where mkdir answers ENOENT under a parent
 * that exists (`/proc/x`).
 */
export async function ensureDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  try {
    for (let path = resolve(dir); ; path = dirname(path)) {
      const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (info && !info.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      if (info || dirname(path) === path) break;
      missing.unshift(path);
    }
    for (const path of missing) {
      await mkdir(path, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'EEXIST' || code === 'ENOTDIR' ? 'not a directory' : code === 'ENOENT' ? 'the file system does not allow a directory there' : describeFsError(error);
    throw new CliError(`cannot create directory ${dir}: ${reason}`);
  }
}

/** Private keys should be mode 0600, as ssh insists; keygate only warns, on stderr. */
export async function warnIfReadableByOthers(path: string, what: string): Promise<void> {
  if (process.platform === 'win32') return;
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0) process.stderr.write(`keygate: warning: ${what} ${path} is readable by others (mode 0${mode.toString(8)}); run chmod 600 ${path}\n`);
}
