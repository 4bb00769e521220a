import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { LIMITS } from './limits.ts';

// Every tool that reads a source's bytes (LibreOffice, poppler, ImageMagick, exiftool, qpdf, mat2,
// tesseract) runs here: bubblewrap with every namespace unshared (no network at all), a new
// session (no terminal to type into), no capabilities, an unprivileged uid, a read-only root made
// of /usr and a few font and library settings (nothing of $HOME, /root, /home, /work or /tmp), a
// private tmpfs for work, the input bound read-only, and one empty folder to write into. prlimit
// caps its address space, file sizes and CPU time; a wall-clock timer kills the whole tree.

export class SandboxError extends Error {
  override name = 'SandboxError';
  constructor(readonly code: 'no-sandbox' | 'timeout' | 'failed' | 'output-too-large', message: string) {
    super(message);
  }
}

export type SandboxRun = {
  argv: string[];
  /** Host file bound read-only at /in/<name>. */
  input?: { path: string; name: string };
  /** Host folder (empty, ours) bound read-write at /out. */
  outDir?: string;
  timeoutMs?: number;
  memoryBytes?: number;
  stdoutMax?: number;
};

export type SandboxResult = { code: number | null; stdout: Buffer; stderr: string };

/** Read-only settings a renderer needs; optional ones are skipped where absent. */
const READ_ONLY_ETC = ['/etc/fonts', '/etc/ld.so.cache', '/etc/ImageMagick-6', '/etc/libreoffice', '/etc/alternatives', '/etc/mime.types'];

export function bwrapArgs(run: SandboxRun): string[] {
  const args = [
    '--unshare-all', '--unshare-user', '--disable-userns', '--uid', '65534', '--gid', '65534', '--cap-drop', 'ALL',
    '--die-with-parent', '--new-session', '--clearenv',
    '--setenv', 'PATH', '/usr/bin', '--setenv', 'HOME', '/tmp', '--setenv', 'LANG', 'C.UTF-8', '--setenv', 'OMP_THREAD_LIMIT', '1',
    '--ro-bind', '/usr', '/usr', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin',
    '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--chdir', '/tmp',
  ];
  for (const dir of READ_ONLY_ETC) if (existsSync(dir)) args.push('--ro-bind', dir, dir);
  if (run.input) args.push('--ro-bind', run.input.path, `/in/${run.input.name}`);
  if (run.outDir) args.push('--bind', run.outDir, '/out');
  // The sandbox's own root (bwrap's tmpfs holding the mount points) is made read-only last.
  return [...args, '--remount-ro', '/', '--', ...run.argv];
}

function limitArgs(run: SandboxRun): string[] {
  const memory = run.memoryBytes ?? LIMITS.memoryBytes;
  const cpuSeconds = Math.ceil((run.timeoutMs ?? LIMITS.timeoutMs) / 1000) + 1;
  return [`--as=${memory}`, `--fsize=${LIMITS.fileBytes}`, `--cpu=${cpuSeconds}`, `--core=0`];
}

let checked: boolean | undefined;

/** Fails, with what to install, unless bubblewrap runs here: nothing is ever converted outside it. */
export function assertSandbox(): void {
  if (checked === undefined) {
    const probe = spawnSync('prlimit', [...limitArgs({ argv: [] }), '--', 'bwrap', ...bwrapArgs({ argv: ['/usr/bin/true'] })], { stdio: 'ignore', timeout: 10_000 });
    checked = probe.status === 0;
  }
  if (!checked) {
    throw new SandboxError('no-sandbox', 'No sandbox is available: bubblewrap (bwrap) did not run here. Install it (apt-get install bubblewrap) and allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1); nothing was converted.');
  }
}

/** Runs argv in the sandbox; the whole process tree is killed at the wall-clock limit. */
export function runSandboxed(run: SandboxRun): Promise<SandboxResult> {
  assertSandbox();
  const timeoutMs = run.timeoutMs ?? LIMITS.timeoutMs;
  const stdoutMax = run.stdoutMax ?? LIMITS.reportBytes;
  return new Promise((resolve, reject) => {
    const child = spawn('prlimit', [...limitArgs(run), '--', 'bwrap', ...bwrapArgs(run)], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: {} });
    const out: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let failure: SandboxError | undefined;
    const kill = (error: SandboxError) => {
      failure ??= error;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch { /* already gone */ }
    };
    const timer = setTimeout(() => kill(new SandboxError('timeout', `stopped after ${timeoutMs / 1000} s (the time limit)`)), timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > stdoutMax) return kill(new SandboxError('output-too-large', `its output passed ${stdoutMax} bytes`));
      out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => void (stderr = (stderr + d.toString('utf8')).slice(-4000)));
    child.on('error', (e) => (clearTimeout(timer), reject(new SandboxError('failed', e.message))));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else resolve({ code, stdout: Buffer.concat(out), stderr });
    });
  });
}
