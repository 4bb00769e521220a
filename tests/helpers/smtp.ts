import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** One message the sink accepted: the SMTP envelope and the message as it arrived. */
export type SunkMail = { from: string; to: string[]; data: string };

/** A real SMTP server process (tests/helpers/smtp-sink.py, Debian's python3-aiosmtpd). */
export type SmtpSink = { host: string; port: number; messages(): Promise<SunkMail[]>; refused(): Promise<number>; stop(): Promise<void> };

export async function startSmtpSink(o: { host?: string; failFirst?: number } = {}): Promise<SmtpSink> {
  const host = o.host ?? '127.0.0.1';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-smtp-'));
  const script = path.join(import.meta.dirname, 'smtp-sink.py');
  const child = spawn('/usr/bin/python3', [script, '--host', host, '--dir', dir, '--fail', String(o.failFirst ?? 0)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`the SMTP sink stopped (${code}): ${err}`)));
  });
  return {
    host,
    port,
    async messages() {
      const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort((a, b) => parseInt(a) - parseInt(b));
      return Promise.all(names.map(async (n) => JSON.parse(await readFile(path.join(dir, n), 'utf8')) as SunkMail));
    },
    /** How many messages the sink refused (--fail). */
    refused: async () => (await readdir(dir)).filter((n) => n.endsWith('.refused')).length,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
