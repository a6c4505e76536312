// SPDX-License-Identifier: GPL-2.0-or-later
//
// "Ouvrir le Wi-Fi pour ma classe" in a real browser: headless Chromium
// (Debian's /usr/bin/chromium) driven by playwright-core, as a teacher's
// phone 360 px wide, in French, with JavaScript off. Proves what curl
// cannot: the link from "Mes appareils", the labels a screen reader reads
// (each field's <label for>, the close button named for its class), the
// tab order, the buttons' size for a finger, the layout at phone width,
// the form sent by the browser itself (POST, its token, a 303 back to the
// page), the end time shown, "Fermer maintenant", the language switch
// keeping the page; a pupil gets the page-not-found page. With axe-core in
// the lock (tests/browser/package-lock.json), every state is also checked
// against WCAG 2.1 A and AA; without it, that is said and skipped. One
// screenshot per state in $SHOTS.
//
// Run by tests/browser/unlock.sh, which copies this file next to the
// node_modules it installed in the build directory. Environment:
// PORTAL_URL, TEACHER, TEACHER_PASSWORD, PUPIL, PUPIL_PASSWORD, SHOTS,
// CHROMIUM (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
	const v = process.env[name];
	if (!v) {
		console.error(`unlock.mjs: ${name} must be set`);
		process.exit(2);
	}
	return v;
};
const PORTAL = env('PORTAL_URL').replace(/\/$/, '');
const TEACHER = env('TEACHER');
const TEACHER_PASSWORD = env('TEACHER_PASSWORD');
const PUPIL = env('PUPIL');
const PUPIL_PASSWORD = env('PUPIL_PASSWORD');
const SHOTS = env('SHOTS');
const WIDTH = 360;
const MAX_PAGE = 50 * 1024;
const TOUCH = 44; // CSS pixels: the smallest target a finger is given (WCAG 2.5.5)
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 ' +
	'(KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36';

mkdirSync(SHOTS, { recursive: true });

// axe-core, when the lock carries it: its script is injected by the
// DevTools protocol (page.evaluate), which javaScriptEnabled:false does
// not stop, so the page itself still runs none
let axeSource = null;
try {
	const require = createRequire(import.meta.url);
	axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
} catch {
	if (process.env.AXE === 'required') {
		console.error('unlock.mjs: axe-core is in the lock but not installed');
		process.exit(1);
	}
	console.log('# axe-core is not in tests/browser/package-lock.json: the WCAG audit is skipped');
}

let checks = 0;
let shot = 0;
let step = 'start';
const ok = (what) => {
	checks++;
	console.log(`ok ${checks} - ${step}: ${what}`);
};

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: [
		'--no-sandbox',
		'--disable-gpu',
		'--disable-dev-shm-usage',
		'--disable-background-networking',
		'--no-first-run',
		'--disable-component-update',
		'--disable-sync',
		'--disable-features=Translate,MediaRouter,OptimizationHints',
	],
	timeout: 30000,
});

const phone = () => browser.newContext({
	viewport: { width: WIDTH, height: 740 },
	deviceScaleFactor: 2,
	isMobile: true,
	hasTouch: true,
	locale: 'fr-FR',
	userAgent: ANDROID,
	javaScriptEnabled: false,
});
const context = await phone();
context.setDefaultTimeout(10000);
let page = await context.newPage();

const foreign = [];
const broken = [];
const expected = new Set();
const watch = (pg) => {
	pg.on('request', (r) => {
		if (!r.url().startsWith(PORTAL + '/'))
			foreign.push(r.url());
	});
	pg.on('response', (r) => {
		if (r.status() >= 400 && !expected.has(`${r.status()} ${r.url()}`))
			broken.push(`${r.status()} ${r.request().method()} ${r.url()}`);
	});
};
watch(page);

async function screenshot(name) {
	shot++;
	await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

// settle(name, response, opts): what every page must pass, then a
// full-page screenshot
async function settle(name, response, { lang = 'fr', status = 200 } = {}) {
	assert.ok(response, `${name}: no response for the page`);
	assert.equal(response.status(), status, `${name}: HTTP status`);
	ok(`HTTP ${status}`);
	const body = await response.body();
	assert.ok(body.length < MAX_PAGE, `${name}: ${body.length} bytes, not under ${MAX_PAGE}`);
	ok(`page of ${body.length} bytes, under 50 KB`);
	await page.waitForLoadState('load');
	assert.equal(await page.locator('html').getAttribute('lang'), lang, `${name}: <html lang>`);
	assert.equal(await page.locator('script').count(), 0, `${name}: a <script>`);
	ok(`<html lang="${lang}">, no script`);
	const sw = await page.evaluate(() => document.documentElement.scrollWidth);
	assert.ok(sw <= WIDTH, `${name}: scrollWidth ${sw} > ${WIDTH}: it scrolls sideways`);
	ok(`no horizontal scroll at ${WIDTH} px (scrollWidth ${sw})`);
	await labelled(name);
	await targets(name);
	await audit(name);
	await screenshot(name);
}

// each field has a <label for> that names it for getByLabel (and so for a
// screen reader)
async function labelled(name) {
	const fields = page.locator('input:not([type=hidden]), select, textarea');
	const n = await fields.count();
	for (let i = 0; i < n; i++) {
		const f = fields.nth(i);
		const id = await f.getAttribute('id');
		assert.ok(id, `${name}: field ${i} (${await f.getAttribute('name')}) has no id`);
		const label = page.locator(`label[for="${id}"]`);
		assert.equal(await label.count(), 1, `${name}: no <label for="${id}">`);
		const text = (await label.textContent()).trim();
		assert.ok(text, `${name}: <label for="${id}"> is empty`);
		const byLabel = page.getByLabel(text, { exact: true }).and(page.locator(`[id="${id}"]`));
		assert.equal(await byLabel.count(), 1, `${name}: getByLabel("${text}") does not find #${id}`);
	}
	ok(`${n} field(s), each with its label`);
}

// every button and field of main is big enough for a finger, and inside
// the screen
async function targets(name) {
	const boxes = await page.locator('main button, main select, main a.button').evaluateAll((els) =>
		els.map((e) => {
			const r = e.getBoundingClientRect();
			return { what: e.outerHTML.slice(0, 80), h: r.height, left: r.left, right: r.right };
		}));
	for (const b of boxes) {
		assert.ok(b.h >= TOUCH, `${name}: ${b.what} is ${b.h} px high, under ${TOUCH}`);
		assert.ok(b.left >= 0 && b.right <= WIDTH, `${name}: ${b.what} leaves the screen`);
	}
	ok(`${boxes.length} button(s) and list(s), each at least ${TOUCH} px high, on screen`);
}

// WCAG 2.1 A and AA through axe-core, when it is installed. axe needs its
// timers, which a page without JavaScript never runs: the page as shown
// (its DOM, the portal's own style sheet) is audited again in a context
// with JavaScript, served at a path of the portal's origin by the browser
// itself (the page's own requests stay as they were).
let axeContext = null;
async function audit(name) {
	if (!axeSource)
		return;
	axeContext ??= await browser.newContext({ viewport: { width: WIDTH, height: 740 }, locale: 'fr-FR' });
	const html = await page.content();
	const p = await axeContext.newPage();
	try {
		await p.route(`${PORTAL}/__axe__`, (r) => r.fulfill({
			status: 200, contentType: 'text/html; charset=utf-8', body: html }));
		await p.goto(`${PORTAL}/__axe__`);
		await p.addScriptTag({ content: axeSource });
		const r = await p.evaluate(() => globalThis.axe.run(document, {
			runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
		}));
		const found = r.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.help}: ` +
			v.nodes.map((n) => n.target.join(' ')).join(', '));
		assert.deepEqual(found, [], `${name}: axe-core finds WCAG violations`);
		ok(`axe-core: no WCAG 2.1 A/AA violation (${r.passes.length} rules pass)`);
	} finally {
		await p.close();
	}
}

async function go(name, action, opts) {
	step = name;
	const shown = page.waitForResponse((r) => r.request().isNavigationRequest() &&
		r.request().frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400));
	await action();
	const response = await shown;
	await settle(name, response, opts);
	return response;
}

// the page came by a 303 from that form (POST-redirect-GET)
async function redirected(response, method, path) {
	const from = response.request().redirectedFrom();
	assert.ok(from, `not redirected from ${method} ${path}`);
	assert.equal(`${from.method()} ${new URL(from.url()).pathname}`, `${method} ${path}`);
	assert.equal((await from.response()).status(), 303, `${method} ${path} answers 303`);
	ok(`${method} ${path} answered 303 to ${new URL(response.url()).pathname}${new URL(response.url()).search}`);
	return from;
}

const h1 = () => page.locator('main h1').first().textContent().then((t) => t.trim());
const hm = (d) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;

async function login(who, password, name) {
	await go(`${name}-login`, () => page.goto(PORTAL + '/'));
	await page.getByLabel('Identifiant', { exact: true }).fill(who);
	await page.getByLabel('Mot de passe', { exact: true }).fill(password);
	await redirected(await go(`${name}-devices`, () => page.getByRole('button', { name: 'Se connecter' }).click()),
		'POST', '/login');
	assert.equal(new URL(page.url()).pathname, '/devices');
	assert.equal(await h1(), 'Mes appareils');
	ok(`${who} is logged in, at "Mes appareils"`);
}

try {
	// ---- the teacher: Mes appareils leads to the page -------------------
	await login(TEACHER, TEACHER_PASSWORD, 'teacher');
	const link = page.locator('main a.button[href="/unlock"]');
	assert.equal(await link.count(), 1, 'a link to /unlock on Mes appareils');
	assert.equal((await link.textContent()).trim(), 'Ouvrir le Wi-Fi pour ma classe');
	ok('"Ouvrir le Wi-Fi pour ma classe" on Mes appareils');
	await go('unlock', () => link.click());
	assert.equal(new URL(page.url()).pathname, '/unlock');
	assert.equal(await h1(), 'Ouvrir le Wi-Fi pour ma classe');
	ok('the page: "Ouvrir le Wi-Fi pour ma classe"');
	const classe = page.getByLabel('Classe', { exact: true });
	const pendant = page.getByLabel('Pendant', { exact: true });
	assert.deepEqual(await classe.locator('option').allTextContents(), ['4B', '3A'], 'her classes');
	assert.deepEqual(await pendant.locator('option').allTextContents(),
		['1 minute', '10 minutes', '1 heure', '2 heures'], 'the durations of portal.unlock-minutes');
	assert.equal(await pendant.inputValue(), '60', 'an hour (a lesson) preselected');
	ok('"Classe": 4B, 3A; "Pendant": 1 minute, 10 minutes, 1 heure (chosen), 2 heures');
	await assert.doesNotReject(page.getByText('Aucune classe ouverte en ce moment.').waitFor());
	ok('"Aucune classe ouverte en ce moment."');

	// Tab from the top: the language switch, the nav, then the form in
	// reading order
	const openButton = page.getByRole('button', { name: 'Ouvrir le Wi-Fi' });
	const focused = page.locator(':focus');
	const order = [
		['the "English" link', page.locator('header').getByRole('link', { name: 'English' })],
		['"Mes appareils"', page.locator('nav').getByRole('link', { name: 'Mes appareils' })],
		['"Se déconnecter"', page.locator('nav').getByRole('button', { name: 'Se déconnecter' })],
		['"Classe"', classe],
		['"Pendant"', pendant],
		['"Ouvrir le Wi-Fi"', openButton],
	];
	for (const [what, target] of order) {
		await page.keyboard.press('Tab');
		assert.equal(await focused.and(target).count(), 1, `Tab reaches ${what} next (focus is on ` +
			`${await focused.evaluate((e) => e.outerHTML.slice(0, 120)).catch(() => 'nothing')})`);
	}
	ok('Tab order: English, Mes appareils, Se déconnecter, Classe, Pendant, Ouvrir le Wi-Fi');
	const ring = await openButton.evaluate((e) => getComputedStyle(e).outlineStyle);
	assert.notEqual(ring, 'none', 'the focused button shows its focus');
	ok(`the focused button shows a focus ring (outline ${ring})`);

	// ---- open 4B for ten minutes, by keyboard and taps ----------------------
	await classe.selectOption('4B');
	await pendant.selectOption({ label: '10 minutes' });
	const before = new Date();
	const opened = await go('opened', () => openButton.click());
	const posted = await redirected(opened, 'POST', '/unlock');
	assert.match(posted.postData(), /(^|&)csrf=[A-Za-z0-9_-]{20,}(&|$)/, 'the form carried its token');
	assert.match(posted.postData(), /(^|&)group=4B(&|$)/);
	assert.match(posted.postData(), /(^|&)minutes=10(&|$)/);
	ok('the browser sent the form: its token, group=4B, minutes=10');
	await assert.doesNotReject(page.getByRole('status').filter({ hasText: 'Le Wi-Fi est ouvert pour la classe' }).waitFor());
	ok('"Le Wi-Fi est ouvert pour la classe", as a status');
	const item = page.locator('li.unlock').filter({ has: page.locator('strong', { hasText: /^4B$/ }) });
	assert.equal(await item.count(), 1, '4B is listed');
	const until = (await item.locator('.until').textContent()).trim();
	const ends = [0, 1].map((m) => `ouverte jusqu’à ${hm(new Date(before.getTime() + (10 + m) * 60000))}`);
	assert.ok(ends.includes(until), `the end shown, "${until}", is ten minutes from now (${ends.join(' or ')})`);
	ok(`4B, "${until}"`);
	const close = item.getByRole('button', { name: 'Fermer maintenant le Wi-Fi de la classe 4B' });
	assert.equal(await close.count(), 1, 'the close button, named for its class');
	assert.equal((await close.textContent()).trim(), 'Fermer maintenant');
	assert.equal(await close.isVisible(), true);
	ok('"Fermer maintenant", named "Fermer maintenant le Wi-Fi de la classe 4B" for a screen reader');

	// a reload shows the page again, it does not send the form again
	step = 'reload';
	const again = await page.reload();
	assert.equal(again.request().method(), 'GET', 'the reload is a GET');
	assert.equal(await page.locator('li.unlock').count(), 1, 'still one opening');
	ok('a reload is a GET of /unlock: the form is not sent twice');

	// ---- English keeps the page ---------------------------------------------
	await go('opened-en', () => page.locator('header').getByRole('link', { name: 'English' }).click(), { lang: 'en' });
	assert.equal(new URL(page.url()).pathname, '/unlock');
	assert.equal(await h1(), 'Open the Wi-Fi for my class');
	assert.equal(await page.getByRole('button', { name: 'Close now: the Wi-Fi of class 4B' }).count(), 1);
	ok('"English" keeps the page: "Open the Wi-Fi for my class", "Close now"');
	await go('opened-fr', () => page.locator('header').getByRole('link', { name: 'Français' }).click());

	// ---- a class that is not hers, sent by a changed form --------------------
	// (the browser offers only her classes; a page edited in DevTools
	// sends another one: the answer says why, in French)
	step = 'not-hers';
	expected.add(`403 ${PORTAL}/unlock`);
	await page.locator('#group option[value="3A"]').evaluate((o) => { o.value = '5C'; o.textContent = '5C'; });
	await page.getByLabel('Classe', { exact: true }).selectOption('5C');
	await go('not-hers', () => page.getByRole('button', { name: 'Ouvrir le Wi-Fi' }).click(), { status: 403 });
	const alert = page.getByRole('alert');
	assert.equal((await alert.textContent()).trim(),
		'Vous ne pouvez ouvrir le Wi-Fi que pour une de vos classes, et « 5C » n’en fait pas partie.');
	ok('"Vous ne pouvez ouvrir le Wi-Fi que pour une de vos classes, et « 5C » n’en fait pas partie.", as an alert');
	assert.equal(await page.locator('li.unlock').count(), 1, 'still only 4B open');
	ok('the form again, and still only 4B open');
	expected.delete(`403 ${PORTAL}/unlock`);

	// ---- Fermer maintenant ---------------------------------------------------
	await redirected(await go('closed', () => page.getByRole('button', { name: 'Fermer maintenant le Wi-Fi de la classe 4B' }).click()),
		'POST', '/unlock');
	await assert.doesNotReject(page.getByRole('status').filter({ hasText: 'Le Wi-Fi est refermé pour la classe.' }).waitFor());
	assert.equal(await page.locator('li.unlock').count(), 0, 'nothing open');
	await assert.doesNotReject(page.getByText('Aucune classe ouverte en ce moment.').waitFor());
	ok('"Le Wi-Fi est refermé pour la classe.", nothing open any more');

	// ---- a pupil: the page does not exist -------------------------------------
	await context.clearCookies();
	await login(PUPIL, PUPIL_PASSWORD, 'pupil');
	assert.equal(await page.locator('a[href="/unlock"]').count(), 0, 'no link for a pupil');
	ok('a pupil\'s Mes appareils has no link to the page');
	expected.add(`404 ${PORTAL}/unlock`);
	await go('pupil-404', () => page.goto(PORTAL + '/unlock'), { status: 404 });
	assert.equal(await h1(), 'Page introuvable');
	ok('a pupil at /unlock: "Page introuvable"');

	step = 'network';
	assert.deepEqual(foreign, [], 'the page asked only the portal');
	ok('every request went to the portal, none elsewhere');
	assert.deepEqual(broken, [], 'every request was answered (no 4xx/5xx but those expected)');
	ok('every page and stylesheet answered without error');
} catch (e) {
	console.error(`not ok - ${step}: ${e.message}`);
	console.error(`  at ${page.url()}`);
	try {
		await page.screenshot({ path: join(SHOTS, `99-failed-${step}.png`), fullPage: true });
	} catch {}
	await browser.close();
	process.exit(1);
}
await browser.close();
console.log(`${checks} passed, 0 failed (${shot} screenshots in ${SHOTS})${axeSource ? '' : ' (axe-core: not installed, skipped)'}`);
