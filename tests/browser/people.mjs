// SPDX-License-Identifier: GPL-2.0-or-later
//
// byod-admin's People section in a real browser: headless Chromium driven
// by playwright-core, 360 px wide, in French, JavaScript off, as
// tests/browser/admin.mjs drives the rest of the console. A school's
// administrator (first login with the TOTP enrolment) searches a pupil,
// opens their page, disables and enables the account, has a new password
// made and shown; then imports a CSV file through the page's file input
// (the browser's own multipart/form-data): a file of 3 bad rows shows the
// 3 problems at their line and column, a good file its preview, and the
// preview's button commits it (the file carried back by the browser in the
// page's hidden field). On every page: the HTTP status, <html lang>, one
// <h1>, no sideways scroll at 360 px, a label for every field, and
// axe-core with no violation (a page answering a POST is checked as the
// browser got it). One screenshot per page in $SHOTS.
//
// Run by tests/browser/admin-people.sh. Environment: ADMIN_URL, LOGIN,
// PASSWORD, PUPIL (a login in the administrator's school), SHOTS, CHROMIUM.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
	const v = process.env[name];
	if (!v) {
		console.error(`people.mjs: ${name} must be set`);
		process.exit(2);
	}
	return v;
};
const ADMIN = env('ADMIN_URL').replace(/\/$/, '');
const LOGIN = env('LOGIN');
const PASSWORD = env('PASSWORD');
const PUPIL = env('PUPIL');
const SHOTS = env('SHOTS');
const WIDTH = 360;
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

mkdirSync(SHOTS, { recursive: true });

let checks = 0;
let shot = 0;
let step = 'start';
const ok = (what) => {
	checks++;
	console.log(`ok ${checks} - ${step}: ${what}`);
};

// RFC 6238 (HMAC-SHA1, 30 s, 6 digits) from a base32 key: Node's, not the console's
function totp(key) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const ch of key.replace(/[\s=]/g, '').toUpperCase())
		bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
	const bytes = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
	const mac = createHmac('sha1', bytes).update(counter).digest();
	const o = mac[mac.length - 1] & 15;
	return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
		'--disable-background-networking', '--no-first-run', '--disable-component-update',
		'--disable-sync', '--disable-features=Translate,MediaRouter,OptimizationHints'],
	timeout: 30000,
});
const context = await browser.newContext({
	viewport: { width: WIDTH, height: 740 }, deviceScaleFactor: 2, isMobile: true,
	hasTouch: true, locale: 'fr-FR', javaScriptEnabled: false, ignoreHTTPSErrors: true,
});
context.setDefaultTimeout(10000);
const page = await context.newPage();
const foreign = [];
page.on('request', (r) => {
	if (!r.url().startsWith(ADMIN + '/'))
		foreign.push(r.url());
});
const broken = [];
const expected = new Set([`422 ${ADMIN}/people-import`]);
page.on('response', (r) => {
	if (r.status() >= 400 && !expected.has(`${r.status()} ${r.url()}`))
		broken.push(`${r.status()} ${r.request().method()} ${r.url()}`);
});

// axe-core needs JavaScript: the page is shown again in a second context
// with JavaScript on, the same cookies and axe-core injected past the CSP.
// A page that answered a POST is served to it as the browser received it.
const axeContext = await browser.newContext({
	viewport: { width: WIDTH, height: 740 }, isMobile: true, locale: 'fr-FR',
	ignoreHTTPSErrors: true, bypassCSP: true,
});
const axePage = await axeContext.newPage();
const within = (ms, p, what) => Promise.race([p, new Promise((_, no) =>
	setTimeout(() => no(new Error(`${what}: no answer in ${ms / 1000} s`)), ms).unref())]);
async function axe(name, status, posted) {
	await axeContext.clearCookies();
	await axeContext.addCookies(await context.cookies());
	const url = page.url();
	if (posted) {
		const html = await page.content();
		await axePage.route(url, (route) => route.fulfill({ status, contentType: 'text/html; charset=utf-8', body: html }));
	}
	const r = await axePage.goto(url);
	if (posted)
		await axePage.unroute(url);
	assert.equal(r.status(), status, `${name}: the page again for axe-core`);
	const result = await within(30000, axePage.evaluate(`(() => { ${AXE}; return axe.run(document, {
		resultTypes: ['violations'] }); })()`), `${name}: axe-core`);
	const found = result.violations.map((v) =>
		`${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
	assert.deepEqual(found, [], `${name}: axe-core violations: ${found.join("; ")}`);
	ok(`axe-core ${result.testEngine.version}: no violation`);
}

async function labelled(name) {
	const fields = page.locator('input:not([type=hidden]), select, textarea');
	const n = await fields.count();
	for (let i = 0; i < n; i++) {
		const id = await fields.nth(i).getAttribute('id');
		assert.ok(id, `${name}: field ${i} has no id`);
		const label = page.locator(`label[for="${id}"]`);
		assert.equal(await label.count(), 1, `${name}: no <label for="${id}">`);
		assert.ok((await label.textContent()).trim(), `${name}: <label for="${id}"> is empty`);
	}
	ok(`${n} field(s), each with its label`);
}

async function settle(name, response, { status = 200 } = {}) {
	assert.ok(response, `${name}: no response`);
	assert.equal(response.status(), status, `${name}: HTTP status`);
	ok(`HTTP ${status}`);
	await page.waitForLoadState('load');
	assert.equal(await page.locator('html').getAttribute('lang'), 'fr', `${name}: <html lang>`);
	// no script but the dashboard's own (progressive: the page is whole without it)
	const scripts = await page.locator('script').evaluateAll(
		(els) => els.map((e) => e.getAttribute('src') || 'inline'));
	assert.ok(scripts.every((src) => src === '/static/dashboard.js'),
		`${name}: a <script> other than the dashboard's: ${scripts}`);
	assert.equal(await page.locator('main h1').count(), 1, `${name}: one <h1> in <main>`);
	ok('<html lang="fr">, no script, one h1');
	const sw = await within(10000, page.evaluate(() => document.documentElement.scrollWidth),
		`${name}: scrollWidth`);
	assert.ok(sw <= WIDTH, `${name}: scrollWidth ${sw} > ${WIDTH}`);
	ok(`no horizontal scroll at ${WIDTH} px`);
	await labelled(name);
	await axe(name, status, response.request().method() === 'POST');
	shot++;
	await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`),
		fullPage: true });
}

async function go(name, action, opts) {
	step = name;
	const shown = page.waitForResponse((r) => r.request().isNavigationRequest() &&
		r.request().frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400));
	await action();
	await settle(name, await shown, opts);
}

const h1 = () => page.locator('main h1').first().textContent().then((t) => t.trim());
const button = (name) => page.getByRole('button', { name, exact: true });

try {
	await go('login', () => page.goto(ADMIN + '/'));
	await page.getByLabel('Identifiant', { exact: true }).fill(LOGIN);
	await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
	await go('totp-enrolment', () => button('Continuer').click());
	const key = (await page.locator('code.secret').textContent()).replace(/\s/g, '');
	await page.getByLabel('Code à 6 chiffres', { exact: true }).fill(totp(key));
	await go('dashboard', () => button('Activer et se connecter').click());

	const nav = page.getByRole('navigation', { name: 'Navigation principale' });
	await go('people', () => nav.getByRole('link', { name: 'Personnes', exact: true }).click());
	assert.equal(await h1(), 'Personnes');
	await page.getByLabel('Rechercher une personne', { exact: true }).fill('pupil');
	await page.getByLabel('Rôle', { exact: true }).selectOption('student');
	await go('people-search', () => button('Rechercher').click());
	const link = page.locator(`a[href="/people/${PUPIL}"]`);
	assert.equal(await link.count(), 1, 'the pupil found');
	ok('the search (text and role) finds the pupil');
	await go('person', () => link.click());
	assert.equal(await page.locator('#state').textContent(), 'Actif');
	ok("the pupil's page, the account active");

	await go('person-disabled', () => button('Désactiver le compte').click());
	assert.ok(await page.getByRole('status').filter({ hasText: 'Compte désactivé' }).isVisible());
	assert.equal(await page.locator('#state').textContent(), 'Désactivé');
	ok('disabled, and the page says so');
	await go('person-enabled', () => button('Réactiver le compte').click());
	assert.equal(await page.locator('#state').textContent(), 'Actif');
	ok('enabled again');
	await go('person-password', () => button('Changer le mot de passe').click());
	const made = await page.locator('#new-password').textContent();
	assert.match(made, /^[A-Za-z2-9]{4}-[A-Za-z2-9]{4}-[A-Za-z2-9]{4}$/);
	ok(`a new password shown once (${made})`);
	console.log(`NEW_PASSWORD=${made}`);

	await go('import', () => page.goto(ADMIN + '/people'));
	await go('import-form', () => page.getByRole('link', { name: 'Importer des comptes (CSV)' }).click());
	assert.equal(await h1(), 'Importer des comptes (CSV)');
	await page.getByLabel('Fichier CSV', { exact: true }).setInputFiles({
		name: 'élèves 4B.csv', mimeType: 'text/csv',
		buffer: Buffer.from('login,display_name,role,school,groups\r\n' +
			'c.one,C One,student,0131234W,4B\r\n' +
			'Bad Login,B,student,0131234W,4B\r\n' +
			'c.two,C Two,student,0131234W,4B\r\n' +
			'c.three,C Three,wizard,0131234W,4B\r\n' +
			'c.four,C Four,student,0139999X,4B\r\n'),
	});
	await go('import-problems', () => button('Vérifier le fichier').click(), { status: 422 });
	const rows = await page.locator('tr.problem').evaluateAll((trs) =>
		trs.map((tr) => [...tr.cells].map((td) => td.textContent).slice(0, 2).join(':')));
	assert.deepEqual(rows, ['3:1', '5:3', '6:4'], 'the problems at their line and column');
	ok('3 problems at 3:1, 5:3, 6:4');

	await page.getByLabel('Fichier CSV', { exact: true }).setInputFiles({
		name: 'élèves 4C.csv', mimeType: 'text/csv',
		buffer: Buffer.from('\ufefflogin;display_name;role;school;groups;password\r\n' +
			'c.new;Chloé Nouvelle;élève;0131234W;4C;Pass-Chloé-2026\r\n' +
			`${PUPIL};;élève;0131234W;4B latin;\r\n`),
	});
	await go('import-preview', () => button('Vérifier le fichier').click());
	assert.equal(await page.locator('#n-adds').textContent(), '1 compte à créer');
	assert.equal(await page.locator('#n-updates').textContent(), '1 compte modifié');
	assert.ok(await page.getByText('4B → 4B latin').isVisible());
	ok('the preview: one account to add, one changed (4B → 4B latin)');
	await go('import-done', () => button('Importer (2 comptes)').click());
	assert.ok(await page.getByRole('status').filter({ hasText: '1 compte créé.' }).isVisible());
	ok('committed from the preview: the file carried back by the browser');

	assert.deepEqual(foreign, [], 'requests to anyone but the console');
	assert.deepEqual(broken, [], 'answers that are errors');
	ok('no request elsewhere, no error answer but the 422 asked for');
	console.log(`people.mjs: ${checks} checks passed, ${shot} screenshots in ${SHOTS}`);
} catch (e) {
	shot++;
	await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-FAILED-${step}.png`),
		fullPage: true }).catch(() => {});
	console.error(`people.mjs: ${step}: ${e.message}`);
	process.exitCode = 1;
} finally {
	await browser.close();
}
