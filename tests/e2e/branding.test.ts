import { afterAll, beforeAll, expect, test } from 'vitest';
import { axeViolations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';
import { loginInPage } from '../helpers/pages.ts';
import { pngChunk } from '../helpers/png.ts';

// The newsroom's own face: an administrator sets a name, welcome text, guidelines and a logo on
// the web; the source page shows them (escaped), and the logo reaches sources without the
// metadata it was uploaded with, still drawing.
let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let admin: Awaited<ReturnType<typeof makeAccount>>;

beforeAll(async () => {
  instance = await startInstance();
  admin = await makeAccount(instance, 'chief', { isAdmin: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

test('name, welcome, guidelines and a logo set on the web show on the source page; the logo loses its metadata', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 64, height: 48 });
  await page.setContent('<body style="background:#c03">');
  const png = await page.screenshot({ type: 'png' });
  const iend = png.length - 12;
  const tagged = Buffer.concat([png.subarray(0, iend), pngChunk('tEXt', Buffer.from('Author\0Jane Reporter, GPS 51.5007 -0.1246')), pngChunk('tIME', Buffer.from([7, 234, 12, 2, 9, 41, 7])), png.subarray(iend)]);
  const jpeg = await page.screenshot({ type: 'jpeg' });
  const exifData = Buffer.from('Exif\0\0GPS 48.8584 2.2945');
  const exif = Buffer.concat([Buffer.from([0xff, 0xe1, 0x00, exifData.length + 2]), exifData]);
  const taggedJpeg = Buffer.concat([jpeg.subarray(0, 2), exif, jpeg.subarray(2)]);

  await page.setViewportSize({ width: 1000, height: 800 });
  await loginInPage(page, instance.journalistUrl, 'chief', admin.passphrase, admin.code());
  await page.goto(`${instance.journalistUrl}/admin/branding`);
  await page.fill('#brand-name', 'The Daily Lantern');
  await page.fill('#brand-welcome', 'We protect our sources.\n\nRead the guidelines <script>alert(1)</script> first.');
  await page.fill('#brand-guidelines', 'Send originals when you can.');
  await page.click('form[action="/admin/branding"] button[type=submit]');
  // Back on the branding section, which says what was saved.
  await page.waitForSelector('p.notice:text-is("The default texts are saved; sources see them now.")');
  expect(await page.textContent('h1')).toBe('Your newsroom on the source page');

  for (const [file, bytes, hidden] of [['logo.png', tagged, 'Jane Reporter'], ['logo.jpg', taggedJpeg, 'GPS 48.8584']] as const) {
    await page.setInputFiles('#brand-logo', { name: file, mimeType: file.endsWith('png') ? 'image/png' : 'image/jpeg', buffer: bytes });
    await page.click('form[action^="/admin/branding/logo?"] button[type=submit]');
    await page.waitForSelector('img[alt="The current logo"]');
    expect(await page.textContent('p.notice')).toBe('The logo is saved; sources see it now.');
    const served = Buffer.from(await (await fetch(`${instance.sourceUrl}/branding/logo`)).arrayBuffer());
    expect(served.includes(Buffer.from(hidden))).toBe(false); // the metadata is gone
    expect(bytes.includes(Buffer.from(hidden))).toBe(true); // (it was there)
    const source = await browser.context.newPage();
    await source.goto(instance.sourceUrl);
    await source.waitForSelector('img.newsroom-logo');
    expect(await source.evaluate(() => (document.querySelector('img.newsroom-logo') as HTMLImageElement).naturalWidth)).toBe(64); // and it still draws
    expect(await source.textContent('.newsroom-name')).toBe('The Daily Lantern');
    expect(await source.textContent('h1')).toBe('Send documents and messages securely to The Daily Lantern');
    expect(await source.locator('p.welcome').count()).toBe(2);
    expect(await source.textContent('p.welcome >> nth=1')).toBe('Read the guidelines <script>alert(1)</script> first.'); // text, not markup
    expect(await source.textContent('p.guidelines')).toBe('Send originals when you can.');
    expect(await axeViolations(source)).toEqual([]);
    await source.close();
  }
  // Texts per language: Uyghur readers get the Uyghur texts; a language without its own gets the default ones.
  await page.fill('#brand-name-ug', 'چىراغ گېزىتى');
  await page.fill('#brand-welcome-ug', 'بىز مەنبەلىرىمىزنى قوغدايمىز.');
  await page.click('#brand-save-ug');
  await page.waitForSelector('p.notice:has-text("The texts in")');
  expect(await page.textContent('p.notice')).toBe('The texts in ئۇيغۇرچە are saved; sources see them now.');
  expect(await page.inputValue('#brand-name-ug')).toBe('چىراغ گېزىتى');
  expect(await page.inputValue('#brand-name')).toBe('The Daily Lantern'); // the default texts are untouched
  const reader = await browser.context.newPage();
  await reader.goto(`${instance.sourceUrl}/?lang=ug`);
  expect(await reader.textContent('.newsroom-name')).toBe('چىراغ گېزىتى');
  expect(await reader.textContent('p.welcome')).toBe('بىز مەنبەلىرىمىزنى قوغدايمىز.');
  expect(await reader.textContent('p.guidelines')).toBe('Send originals when you can.'); // none in Uyghur: the default
  expect(await axeViolations(reader)).toEqual([]);
  await reader.goto(`${instance.sourceUrl}/?lang=zh-Hant`);
  expect(await reader.textContent('.newsroom-name')).toBe('The Daily Lantern');
  await reader.close();
  // An unknown language is refused with a 400 and changes nothing.
  const staff = new StaffClient(instance.journalistUrl);
  await staff.login('chief', admin.passphrase, admin.code(1));
  await staff.get('/admin');
  const bad = await staff.post('/admin/branding', { csrf: staff.csrf, lang: 'xx', name: 'Forged', welcome: '', guidelines: '' });
  expect(bad.status).toBe(400);
  expect(await bad.text()).toContain('shipped languages');
  expect(instance.store.settings.ownBranding('en').name).toBe('The Daily Lantern');
  expect(instance.store.settings.ownBranding('ug').name).toBe('چىراغ گېزىتى');

  // Anything but a PNG or JPEG is refused, and the logo stays as it was.
  await page.setInputFiles('#brand-logo', { name: 'logo.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a\x01\x00\x01\x00') });
  await page.click('form[action^="/admin/branding/logo?"] button[type=submit]');
  await page.waitForSelector('text=The logo must be a PNG or JPEG image.');
  expect((await fetch(`${instance.sourceUrl}/branding/logo`)).headers.get('content-type')).toBe('image/jpeg');
  await page.close();
});
