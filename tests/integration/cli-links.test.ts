import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { sealdrop } from '../helpers/cli.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { freePort } from '../helpers/ports.ts';
import { StaffClient } from '../helpers/staff-client.ts';

// The links `sealdrop journalist add` and `enrol` print lead to the running server: its
// configured journalist port (not the default 8081), so the link opens as printed (issue 22).
let instance: Instance;
let env: Record<string, string>;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-cli-links-'));
  const port = await freePort();
  env = { SEALDROP_JOURNALIST_PORT: String(port) };
  instance = await startInstance(env);
  expect(instance.journalistUrl).toBe(`http://127.0.0.1:${port}`);
  env.SEALDROP_DATA = instance.config.dataDir;
});
afterAll(async () => {
  await instance?.stop();
  await rm(work, { recursive: true, force: true });
});

const printedLink = (stdout: string) => /^ {2}(http:\/\/\S+\/enrol\/[\w-]{43})$/m.exec(stdout)?.[1];

test('add and enrol print a link on the configured journalist port, and it opens the enrolment page there', async () => {
  const keyFile = path.join(work, 'kim.asc');
  await writeFile(keyFile, (await generateKeyPair({ name: 'Kim' })).publicKey);
  const added = await sealdrop(['journalist', 'add', '--username', 'kim', '--public-key', keyFile], env);
  expect(added.code, added.stderr).toBe(0);
  const enrolled = await sealdrop(['journalist', 'enrol', '--username', 'kim'], env);
  expect(enrolled.code, enrolled.stderr).toBe(0);
  for (const out of [added.stdout, enrolled.stdout]) expect(printedLink(out)).toMatch(new RegExp(`^${instance.journalistUrl}/enrol/`));
  // The first link was replaced by the second; the second opens, as printed, on the running server.
  const page = await new StaffClient('').get(printedLink(enrolled.stdout)!);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Account: <strong>kim</strong>');
});

test('with SEALDROP_JOURNALIST_PORT=0 (the system chooses it) the link is a path on the running server, never ":0"', async () => {
  const keyFile = path.join(work, 'ana.asc');
  await writeFile(keyFile, (await generateKeyPair({ name: 'Ana' })).publicKey);
  const added = await sealdrop(['journalist', 'add', '--username', 'ana', '--public-key', keyFile], { ...env, SEALDROP_JOURNALIST_PORT: '0' });
  expect(added.code, added.stderr).toBe(0);
  expect(added.stdout).not.toMatch(/:0\b/);
  expect(added.stdout).toContain("on the running server's journalist interface");
  const link = /^ {2}(\/enrol\/[\w-]{43})$/m.exec(added.stdout)?.[1];
  expect(link).toBeDefined();
  // The path opens on the running server, whatever its port.
  const page = await new StaffClient(instance.journalistUrl).get(link!);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Account: <strong>ana</strong>');
});
