import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/sealdrop.js');

export type CliResult = { code: number | null; stdout: string; stderr: string };

/** Runs the real `sealdrop` command as an administrator or journalist would; `cwd`: where it is started from (this process's folder by default). */
export function sealdrop(args: string[], env: Record<string, string> = {}, umask?: string, cwd?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // With a umask: through a shell that sets it first, as on a host whose administrator chose it.
    const [file, argv] = umask === undefined ? [process.execPath, [BIN, ...args]] : ['sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, BIN, ...args]];
    const child = spawn(file, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
