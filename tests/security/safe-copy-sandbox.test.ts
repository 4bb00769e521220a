import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runSandboxed } from '../../newsroom/safe/sandbox.ts';
import { sealdrop } from '../helpers/cli.ts';
import { hostilePdf } from '../newsroom/fixtures.ts';

// Threat: a source's file takes over a renderer (LibreOffice, poppler, ImageMagick...). The same
// sandbox function every conversion uses runs probe commands here: with no network, none of the
// journalist's files, no privileges, and a time and memory limit, the taken-over tool gets nothing.

let server: Server;
let port: number;
let secret: string;
const probe = (script: string, extra: Partial<Parameters<typeof runSandboxed>[0]> = {}) => runSandboxed({ argv: ['bash', '-c', script], ...extra });

beforeAll(async () => {
  server = createServer((socket) => socket.end('reached\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  secret = path.join(homedir(), `.sealdrop-sandbox-probe-${randomBytes(6).toString('hex')}`);
  writeFileSync(secret, 'the journalist\'s own file\n');
});

afterAll(() => {
  server.close();
  rmSync(secret, { force: true });
});

describe('the safe-copy sandbox', () => {
  test('a network connection fails inside, while the same connection works outside', async () => {
    const connect = `exec 3<>/dev/tcp/127.0.0.1/${port} && head -1 <&3`;
    // Asynchronously: the listening server runs in this very process.
    expect((await promisify(execFile)('bash', ['-c', connect])).stdout).toBe('reached\n');
    const inside = await probe(`${connect}; echo "exit $?"; exec 3<>/dev/tcp/1.1.1.1/53; echo "exit $?"; cat /proc/net/dev`);
    expect(inside.stdout.toString()).not.toContain('reached');
    expect(inside.stdout.toString()).toMatch(/exit 1\nexit 1\n/);
    // Only a loopback device of its own, down: no interface reaches the host or the world.
    expect(inside.stdout.toString().match(/^\s*(\w+):/gm)?.map((s) => s.trim())).toEqual(['lo:']);
  });

  test('the journalist\'s home, the source tree and the real /tmp cannot be read inside', async () => {
    expect(readFileSync(secret, 'utf8')).toContain('own file');
    const inside = await probe(`cat ${secret}; echo "cat $?"; ls ${homedir()} ${process.cwd()} 2>&1 | head -3; ls /tmp /home /root /work 2>&1`);
    const text = inside.stdout.toString();
    expect(text).not.toContain('own file');
    expect(text).toMatch(/cat 1/);
    expect(text).not.toMatch(/README|package\.json|sealdrop-sandbox-probe/);
  });

  test('tools run as nobody, with no capabilities, in a new session, and cannot make namespaces of their own', async () => {
    const text = (await probe('id -u; grep CapEff /proc/self/status; cat /proc/sys/user/max_user_namespaces; unshare -U true 2>&1; echo "unshare $?"')).stdout.toString();
    expect(text).toMatch(/^65534\nCapEff:\s+0000000000000000\n/);
    expect(text).toMatch(/unshare [1-9]/);
  });

  test('the root is read-only and the only writable folder given is the output folder', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'sealdrop-sandbox-out-'));
    try {
      const text = (await probe('touch /usr/x 2>&1; echo "usr $?"; touch /etc/x 2>&1; echo "etc $?"; touch /x 2>&1; echo "root $?"; touch /tmp/x; echo "tmp $?"; echo made > /out/file; echo "out $?"', { outDir: out })).stdout.toString();
      expect(text).toMatch(/usr [1-9]/);
      expect(text).toMatch(/etc [1-9]/);
      expect(text).toMatch(/root [1-9]/);
      expect(text).toContain('tmp 0'); // its private tmpfs, gone when it ends
      expect(text).toContain('out 0');
      expect(readdirSync(out)).toEqual(['file']);
    } finally {
      rmSync(out, { recursive: true });
    }
  });

  test('a tool that runs past the time limit is killed with its whole tree', async () => {
    const marker = `sleep ${1000 + Math.floor(Math.random() * 1000)}.5`;
    await expect(probe(`${marker} & ${marker}; wait`, { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'timeout' });
    const alive = spawnSync('pgrep', ['-f', marker]).stdout.toString().trim();
    expect(alive).toBe('');
  });

  test('a tool that asks for more memory than the limit is refused it', async () => {
    const python = (mib: number) => probe(`python3 -c "x = bytearray(${mib} * 1024 * 1024); print('allocated')"`, { memoryBytes: 256 * 1024 * 1024 });
    expect((await python(32)).stdout.toString()).toBe('allocated\n');
    const big = await python(512);
    expect(big.code).not.toBe(0);
    expect(big.stderr).toContain('MemoryError');
  });

  test('without bubblewrap, nothing is converted: a clear message, and no file written', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-nosandbox-'));
    try {
      writeFileSync(path.join(dir, 'a.pdf'), hostilePdf());
      const result = await sealdrop(['safe-copy', path.join(dir, 'a.pdf'), '--out', path.join(dir, 'out')], { PATH: '/nonexistent' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/No sandbox is available: bubblewrap \(bwrap\) did not run here\. Install it .*nothing was converted/);
      expect(readdirSync(dir)).toEqual(['a.pdf']);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
