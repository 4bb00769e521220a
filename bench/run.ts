// `npm run bench`: speed and memory of the envelope and of each upload and decryption chain,
// side by side with its peer (gpg, a bare upload server) on the same bytes, in the same run.
// One JSON object per line. Targets live here, never in timed tests.
import { randomBytes } from 'node:crypto';
import {
  assertAddressedTo, generateKeyPair, openManifest, openSubmission, readJournalistKey, readPrivateKey, sealFile, SubmissionSealer,
} from '../common/envelope/index.ts';
import { benchHeaderCheck, benchPadding } from './hostile.ts';
import { benchNoScript } from './nojs.ts';
import { benchConcurrency } from './concurrency.ts';
import { benchOnionShare, benchSpeed } from './crypto-speed.ts';
import { benchTorLikeLink, benchUpload, benchUploadLocal } from './upload.ts';
import { benchLoad } from './load.ts';
import { benchSafeCopy } from './safe-copy.ts';
import { benchInboxScale } from './inbox-scale.ts';
import { benchDiskCeiling } from './disk.ts';

const MiB = 1024 * 1024;
const FILE_MIB = Number(process.env.BENCH_FILE_MIB ?? 64);

async function main(): Promise<void> {
  const pair = await generateKeyPair({ name: 'Bench' });
  const journalist = await readJournalistKey(pair.publicKey);
  const key = await readPrivateKey(pair.privateKey);
  const file = randomBytes(FILE_MIB * MiB);
  for (const partMiB of [1, 4, 16]) {
    const partSize = partMiB * MiB;
    let peak = 0;
    const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
    const sealer = new SubmissionSealer({ submission: '0'.repeat(32), name: 'bench.bin', type: 'application/octet-stream', recipients: [journalist.key], partSize });
    const parts: Uint8Array[] = [];
    let t = performance.now();
    for await (const part of sealFile(sealer, file.length, async (s, e) => file.subarray(s, e))) parts.push(part);
    const manifestCt = await sealer.sealManifest();
    const sealMs = performance.now() - t;
    t = performance.now();
    for (const p of parts) await assertAddressedTo(p, [journalist.recipientKeyId]);
    const checkMs = performance.now() - t;
    // Memory while decrypting: the ciphertext is already held, so growth is what opening costs.
    const rssBefore = process.memoryUsage().rss;
    peak = rssBefore;
    t = performance.now();
    const manifest = await openManifest({ data: manifestCt, keys: [key] });
    await openSubmission({ manifest, keys: [key], readPart: async (n) => parts[n - 1] ?? null, write: async () => void sample() });
    const openMs = performance.now() - t;
    const overhead = parts.reduce((s, p) => s + p.length, 0) - file.length;
    console.log(JSON.stringify({
      name: `envelope-part-${partMiB}MiB`,
      fileMiB: FILE_MIB,
      parts: parts.length,
      sealMiBps: +(FILE_MIB / (sealMs / 1000)).toFixed(1),
      openMiBps: +(FILE_MIB / (openMs / 1000)).toFixed(1),
      headerCheckMsPerPart: +(checkMs / parts.length).toFixed(2),
      ciphertextOverheadBytes: overhead,
      openPeakRssGrowthMiB: +((peak - rssBefore) / MiB).toFixed(1),
    }));
  }
}

// BENCH_ONLY=decrypt_cli (or nojs_encrypt, server_concurrency, load_200_sources, tor_like_link, upload_local
// (with upload_local_safer and memory_scaling), disk_durable_ceiling; comma-separated):
// only those lines, for re-running one when the shared machine is quiet.
if (process.env.BENCH_ONLY) {
  const only = process.env.BENCH_ONLY.split(',');
  if (only.some((name) => name === 'decrypt_cli' || name === 'nojs_encrypt')) await benchSpeed();
  if (only.includes('disk_durable_ceiling')) await benchDiskCeiling();
  if (only.includes('server_concurrency')) await benchConcurrency();
  if (only.includes('load_200_sources')) await benchLoad();
  if (only.some((name) => ['upload_local', 'upload_local_safer', 'memory_scaling'].includes(name))) await benchUploadLocal();
  if (only.includes('tor_like_link')) await benchTorLikeLink();
  process.exit(0);
}
// The no-JS runs go first, on a fresh heap, and side by side: growth must not follow file size.
await benchNoScript(16);
await benchNoScript(256);
await main();
await benchKdf();
await benchHeaderCheck();
benchPadding();
// Each chain against its peer on the same bytes: gpg, a bare upload server, OnionShare.
await benchSpeed();
await benchOnionShare();
await benchUpload();
await benchDiskCeiling();
await benchConcurrency();
await benchLoad();
// On the journalist's machine: safe copies through the sandbox (docs/safe-copies.md).
await benchSafeCopy();
await benchInboxScale();

/** The codename KDF on the server (the no-JS path derives it here); browsers run the same WebCrypto call. */
async function benchKdf(): Promise<void> {
  const { deriveSourceSecrets, generateCodename, KDF_ITERATIONS } = await import('../common/codename.ts');
  const runs = 3;
  const t = performance.now();
  for (let i = 0; i < runs; i++) await deriveSourceSecrets(generateCodename(), 'bench');
  console.log(JSON.stringify({ name: 'codename-kdf', iterations: KDF_ITERATIONS, msPerDerivation: +((performance.now() - t) / runs).toFixed(0) }));
}
