// SPDX-License-Identifier: GPL-2.0-or-later
//
// byod-admin's dashboard in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core). Proves what curl cannot: that with
// JavaScript on, the page follows the change feed by itself (/flux, the
// one script under the console's CSP) — a device suspended from byodctl
// shows on the open page without anyone reloading it, and nothing is
// refused by the CSP — and that with JavaScript off the page is whole,
// with its charts and the link that loads it again. Screenshots in $SHOTS.
//
// Run by tests/browser/dashboard.sh beside the node_modules of run.sh.
// Environment: ADMIN_URL (https://127.0.0.1:PORT), SCHOOL (the UAI),
// DEVICE (a device of it, active, to suspend), BYODCTL, BYOD_HOME, SHOTS,
// CHROMIUM; the administrators dep (département) and sch (the school)
// with their passwords in DEP_PASSWORD and SCH_PASSWORD, never logged in.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
	const v = process.env[name];
	if (!v) {
		console.error(`dashboard.mjs: ${name} must be set`);
		process.exit(2);
	}
	return v;
};
const URL = env('ADMIN_URL').replace(/\/$/, '');
const SCHOOL = env('SCHOOL');
const DEVICE = env('DEVICE');
const SHOTS = env('SHOTS');
mkdirSync(SHOTS, { recursive: true });

let checks = 0;
let shot = 0;
let step = 'start';
const ok = (what) => {
	checks++;
	console.log(`ok ${checks} - ${step}: ${what}`);
};
const screenshot = async (page, name) => {
	shot++;
	await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
};

// RFC 6238 with node's HMAC (another implementation than web/totp.c)
const totp = (secret) => {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const c of secret.replace(/\s+/g, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
	const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
	const mac = createHmac('sha1', key).update(msg).digest();
	const o = mac[mac.length - 1] & 15;
	return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
};

// the password, then the first login's TOTP enrolment (the secret as text)
const login = async (page, who, password) => {
	await page.goto(`${URL}/login`);
	await page.fill('input[name="login"]', who);
	await page.fill('input[name="password"]', password);
	await Promise.all([page.waitForURL(/\/totp$/), page.press('input[name="password"]', 'Enter')]);
	const secret = (await page.textContent('code.secret')).trim();
	await page.fill('input[name="code"]', totp(secret));
	await Promise.all([page.waitForURL(/\/dashboard$/), page.press('input[name="code"]', 'Enter')]);
};

const active = async (page) =>
	Number(await page.locator('dl.figures div', { hasText: 'Appareils actifs' }).locator('dd').textContent());

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: [
		'--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
		'--disable-background-networking', '--no-first-run', '--disable-component-update',
		'--disable-sync', '--disable-features=Translate,MediaRouter,OptimizationHints',
	],
	timeout: 30000,
});
const newContext = (js) =>
	browser.newContext({
		viewport: { width: 1280, height: 900 },
		locale: 'fr-FR',
		ignoreHTTPSErrors: true, // the console's self-signed test certificate
		javaScriptEnabled: js,
	});

let page;
try {
	// ---- JavaScript on: the département's administrator --------------------
	step = 'js';
	const context = await newContext(true);
	page = await context.newPage();
	const problems = [];
	// (the browser's own favicon request is the console's 404, not the page's)
	page.on('console', (m) => {
		if (m.type() === 'error' && !/\/favicon\.ico$/.test(m.location().url || ''))
			problems.push(`${m.text()} ${m.location().url || ''}`);
	});
	page.on('pageerror', (e) => problems.push(String(e)));
	await login(page, 'dep', env('DEP_PASSWORD'));
	ok('logged in with the password and a TOTP code');
	assert.equal(await page.locator('table.schools tbody tr').count(), 2);
	ok("the département's table has one line per school");
	await screenshot(page, 'departement');

	await page.click(`a[href="/ecole/${SCHOOL}"]`);
	await page.waitForURL(new RegExp(`/ecole/${SCHOOL}$`));
	assert.equal(await page.locator('svg[role="img"]').count(), 3);
	ok("the school's page has its three charts");
	const before = await active(page);
	await screenshot(page, 'school');

	// the page stays; the registry changes underneath it
	let navigations = 0;
	page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
	await page.waitForTimeout(1500); // the feed is open
	execFileSync(env('BYODCTL'), ['device', 'suspend', DEVICE], { env: process.env, stdio: 'ignore' });
	await page.waitForFunction(
		(n) => {
			const d = [...document.querySelectorAll('dl.figures div')]
				.find((x) => x.querySelector('dt').textContent === 'Appareils actifs');
			return d && Number(d.querySelector('dd').textContent) === n;
		},
		before - 1,
		{ timeout: 20000 },
	);
	ok(`the suspension shows by itself (${before} → ${before - 1} active devices)`);
	// a table of figures the reader opened stays open through an update
	await page.click('summary:has-text("Voir les chiffres") >> nth=0');
	execFileSync(env('BYODCTL'), ['device', 'resume', DEVICE], { env: process.env, stdio: 'ignore' });
	await page.waitForFunction(
		(n) => {
			const d = [...document.querySelectorAll('dl.figures div')]
				.find((x) => x.querySelector('dt').textContent === 'Appareils actifs');
			return d && Number(d.querySelector('dd').textContent) === n;
		},
		before,
		{ timeout: 20000 },
	);
	assert.ok(await page.locator('details').first().evaluate((d) => d.open));
	ok('...the resumption too, the figures the reader opened still open');
	execFileSync(env('BYODCTL'), ['device', 'suspend', DEVICE], { env: process.env, stdio: 'ignore' });
	await page.waitForFunction(
		(n) => {
			const d = [...document.querySelectorAll('dl.figures div')]
				.find((x) => x.querySelector('dt').textContent === 'Appareils actifs');
			return d && Number(d.querySelector('dd').textContent) === n;
		},
		before - 1,
		{ timeout: 20000 },
	);
	assert.equal(navigations, 0);
	ok('...without the page being loaded again');
	await screenshot(page, 'school-updated');
	assert.deepEqual(problems, []);
	ok('no script error, nothing refused by the CSP');
	await context.close();

	// ---- JavaScript off: the school's administrator --------------------------
	step = 'no-js';
	const plain = await newContext(false);
	page = await plain.newPage();
	await login(page, 'sch', env('SCH_PASSWORD'));
	assert.match(await page.textContent('h1'), new RegExp(`\\(${SCHOOL}\\)`));
	ok("a school's administrator lands on the school's dashboard");
	assert.equal(await active(page), before - 1);
	ok('...with the figures as they are');
	assert.equal(await page.locator('svg[role="img"]').count(), 3);
	ok('...its charts drawn without a script');
	await page.click('text=Actualiser');
	await page.waitForURL(/\/dashboard$/);
	ok('...and the link that loads it again');
	await page.click('summary:has-text("Voir les chiffres") >> nth=0');
	assert.ok(await page.locator('details[open] table').first().isVisible());
	ok('...the figures of a chart open as a table');
	await screenshot(page, 'school-no-js');
	await plain.close();
} catch (e) {
	console.error(`not ok - ${step}: ${e.message}`);
	try {
		await page.screenshot({ path: join(SHOTS, `99-failed-${step}.png`), fullPage: true });
	} catch {}
	await browser.close();
	process.exit(1);
}
await browser.close();
console.log(`${checks} passed, 0 failed (${shot} screenshots in ${SHOTS})`);
