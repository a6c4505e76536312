// SPDX-License-Identifier: GPL-2.0-or-later
//
// A pupil's whole enrolment in a real browser: headless Chromium (Debian's
// /usr/bin/chromium) driven by playwright-core, as an Android phone 360 px
// wide, in French, with JavaScript off (the portal must work without it).
// Proves what curl cannot: that the labels, the tab order, the `required`
// charter box, the one-time download link (a file the first time, its
// explanation page the second), the language switch that keeps the
// passphrase, the copy button (with JavaScript on, in a second context)
// and the layout at phone width work as a phone's browser sees them; the
// privacy notice reached from a page's foot, checked by axe-core. One
// screenshot per step in $SHOTS.
//
// Run by tests/browser/run.sh, which copies this file next to the
// node_modules it installed in the build directory. Environment:
// PORTAL_URL (http://127.0.0.1:PORT), LOGIN, PASSWORD, SHOTS (a directory),
// WORK (a private scratch directory), CHROMIUM (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
	const v = process.env[name];
	if (!v) {
		console.error(`enrol.mjs: ${name} must be set`);
		process.exit(2);
	}
	return v;
};
const PORTAL = env('PORTAL_URL').replace(/\/$/, '');
const LOGIN = env('LOGIN');
const PASSWORD = env('PASSWORD');
const SHOTS = env('SHOTS');
// where the downloaded PKCS#12 goes (a private key: not kept as an artifact)
const WORK = env('WORK');
const WIDTH = 360;
const MAX_PAGE = 50 * 1024;
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 ' +
	'(KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36';

mkdirSync(SHOTS, { recursive: true });
// axe-core (pinned in package-lock.json), injected into the privacy notice
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let checks = 0;
let shot = 0;
let step = 'start';
// ok(): one assertion more, named as it will appear in the log
const ok = (what) => {
	checks++;
	console.log(`ok ${checks} - ${step}: ${what}`);
};

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	// on top of Playwright's own defaults: nothing in the background, so
	// the browser talks to no address but the portal's
	args: [
		'--no-sandbox', // root in CI, no user namespaces
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

const context = await browser.newContext({
	viewport: { width: WIDTH, height: 740 },
	deviceScaleFactor: 2,
	isMobile: true,
	hasTouch: true,
	locale: 'fr-FR',
	userAgent: ANDROID,
	// the portal needs no JavaScript: with it off, every step below is
	// plain HTML forms and links, as on the most locked-down phone
	javaScriptEnabled: false,
	acceptDownloads: true,
});
context.setDefaultTimeout(10000);
const page = await context.newPage();

// every request the page makes, to prove it asks nothing of anyone else
const foreign = [];
page.on('request', (r) => {
	if (!r.url().startsWith(PORTAL + '/'))
		foreign.push(r.url());
});
// and every answer that is an error, but those the scenario asks for (the
// one 401, the 410 of a used link): a stylesheet that does not load would
// pass every other check
const broken = [];
const expected = new Set([`401 ${PORTAL}/login`]);
page.on('response', (r) => {
	if (r.status() >= 400 && !expected.has(`${r.status()} ${r.url()}`))
		broken.push(`${r.status()} ${r.request().method()} ${r.url()}`);
});
// every download the page starts (a used link must start none)
let downloads = 0;
page.on('download', () => downloads++);
page.on('requestfailed', (r) => {
	// a download leaves the page's navigation aborted: that is how it works
	if (!new URL(r.url()).pathname.startsWith('/download/'))
		broken.push(`${r.failure()?.errorText} ${r.method()} ${r.url()}`);
});

// What works with javaScriptEnabled:false: it only stops the page's own
// scripts (CDP Emulation.setScriptExecutionDisabled). Playwright's
// page.evaluate() and locators run through the DevTools protocol and keep
// working, so the layout is measured with document.documentElement
// .scrollWidth directly. The script tag check below shows that the
// page's scripts, if it had any, would not have run.

// settle(name, response, opts): the checks every page must pass, then a
// full-page screenshot NN-name.png
async function settle(name, response, { lang = 'fr', status = 200 } = {}) {
	assert.ok(response, `${name}: no response for the page`);
	assert.equal(response.status(), status, `${name}: HTTP status`);
	ok(`HTTP ${status}`);
	const body = await response.body();
	assert.ok(body.length < MAX_PAGE, `${name}: ${body.length} bytes, not under ${MAX_PAGE}`);
	ok(`page of ${body.length} bytes, under 50 KB`);
	await page.waitForLoadState('load');
	assert.equal(await page.locator('html').getAttribute('lang'), lang, `${name}: <html lang>`);
	ok(`<html lang="${lang}">`);
	const sw = await page.evaluate(() => document.documentElement.scrollWidth);
	assert.ok(sw <= WIDTH, `${name}: scrollWidth ${sw} > ${WIDTH}: it scrolls sideways`);
	ok(`no horizontal scroll at ${WIDTH} px (scrollWidth ${sw})`);
	await labelled(name);
	shot++;
	const file = join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
}

// labelled(name): each field a person fills has a <label for> that names
// it for getByLabel (and so for a screen reader)
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

// go(name, action, opts): does what a person does (a click, a URL) and
// waits for the page that ends up shown, after any redirect
async function go(name, action, opts) {
	step = name;
	const shown = page.waitForResponse((r) => r.request().isNavigationRequest() &&
		r.request().frame() === page.mainFrame() && (r.status() < 300 || r.status() >= 400));
	await action();
	const response = await shown;
	await settle(name, response, opts);
	return response;
}

// redirected(response, method, path): the page came by a 303 from that
// form (POST-redirect-GET, so a reload does not send the form again)
async function redirected(response, method, path) {
	const from = response.request().redirectedFrom();
	assert.ok(from, `not redirected from ${method} ${path}`);
	assert.equal(`${from.method()} ${new URL(from.url()).pathname}`, `${method} ${path}`);
	assert.equal((await from.response()).status(), 303, `${method} ${path} answers 303`);
	ok(`${method} ${path} answered 303 to ${new URL(response.url()).pathname}`);
}

const h1 = () => page.locator('main h1').first().textContent().then((t) => t.trim());

try {
	// ---- the login page, in French, by keyboard --------------------------
	await go('login', () => page.goto(PORTAL + '/'));
	assert.equal(await page.locator('script').count(), 0, 'the portal needs no script');
	ok('no <script> at all');
	assert.ok(await page.locator('form[method=post][action="/login"] input[type=hidden][name=csrf]').count() === 1,
		'the login form carries its csrf token');
	ok('a login form with its CSRF token');
	await assert.doesNotReject(page.getByLabel('Identifiant', { exact: true }).waitFor());
	await assert.doesNotReject(page.getByLabel('Mot de passe', { exact: true }).waitFor());
	assert.equal(await page.getByLabel('Mot de passe', { exact: true }).getAttribute('type'), 'password');
	ok('"Identifiant", "Mot de passe" (type=password)');
	const button = page.getByRole('button', { name: 'Se connecter' });
	assert.equal(await button.count(), 1, 'the "Se connecter" button');
	ok('a "Se connecter" button');

	// Tab from the top of the page: the language switch, then the form in
	// reading order. The page is fresh, so nothing has the focus yet.
	const focused = page.locator(':focus');
	const order = [
		['the "English" link', page.locator('header').getByRole('link', { name: 'English' })],
		['#login', page.locator('#login')],
		['#password', page.locator('#password')],
		['the "Se connecter" button', button],
	];
	for (const [what, target] of order) {
		await page.keyboard.press('Tab');
		assert.equal(await focused.count(), 1, `Tab: nothing has the focus, expected ${what}`);
		const same = await focused.and(target).count();
		assert.equal(same, 1, `Tab reaches ${what} next (focus is on ` +
			`${await focused.evaluate((e) => e.outerHTML.slice(0, 120))})`);
	}
	ok('Tab order: English, Identifiant, Mot de passe, Se connecter');

	// ---- a wrong password --------------------------------------------------
	await page.getByLabel('Identifiant', { exact: true }).fill(LOGIN);
	await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD + '-faux');
	await go('wrong-password', () => button.click(), { status: 401 });
	await assert.doesNotReject(page.getByText('Identifiant ou mot de passe incorrect.').waitFor({ state: 'visible' }));
	ok('"Identifiant ou mot de passe incorrect." is shown');
	assert.equal(await page.getByLabel('Identifiant', { exact: true }).inputValue(), LOGIN, 'the login is kept');
	assert.equal(await page.getByLabel('Mot de passe', { exact: true }).inputValue(), '', 'the password is not');
	ok('the login is kept in its field, the password is not');

	// ---- the right one: Mes appareils -------------------------------------
	await page.getByLabel('Identifiant', { exact: true }).fill(LOGIN);
	await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
	await redirected(await go('devices-empty', () => page.getByRole('button', { name: 'Se connecter' }).click()),
		'POST', '/login');
	assert.equal(new URL(page.url()).pathname, '/devices', 'logged in: at /devices');
	assert.equal(await h1(), 'Mes appareils');
	ok('logged in, at /devices: "Mes appareils"');
	const nav = page.locator('nav');
	assert.equal(await nav.getByRole('link', { name: 'Mes appareils' }).count(), 1, 'nav: Mes appareils');
	assert.equal(await nav.getByRole('button', { name: 'Se déconnecter' }).count(), 1, 'nav: Se déconnecter');
	ok('the nav: "Mes appareils", "Se déconnecter"');
	assert.equal(await page.locator('section.device').count(), 0, 'no device yet');

	// ---- the enrolment form ------------------------------------------------
	await go('enrol-form', () => page.locator('a.button[href="/enrol"]', { hasText: 'Inscrire un appareil' }).click());
	assert.equal(await h1(), 'Inscrire cet appareil');
	ok('"Inscrire cet appareil"');
	assert.equal(await page.locator('form[action="/enrol"]').count(), 1, 'the form posts to /enrol');
	assert.equal(await page.locator('#name').inputValue(), 'Mon téléphone Android', 'the name guessed from the UA');
	ok('the name prefilled: "Mon téléphone Android"');
	assert.equal(await page.locator('select#kind').inputValue(), 'phone', 'the kind guessed from the UA');
	ok('the kind preselected: phone');
	assert.ok((await page.locator('div.charter').textContent()).trim().length > 0, 'the charter is shown');
	ok('the charter is shown');
	const charter = page.locator('input#charter[type=checkbox][name=charter][value=yes]');
	assert.equal(await charter.count(), 1, 'the charter checkbox');
	assert.equal(await charter.getAttribute('required'), '', 'the charter box is required');
	ok('the charter box is there, required');

	// without the box: the browser itself refuses to send the form
	step = 'enrol-no-charter';
	const posts = [];
	const onPost = (r) => r.method() === 'POST' && posts.push(r.url());
	page.on('request', onPost);
	const submit = page.locator('form[action="/enrol"]').getByRole('button', { name: 'Inscrire cet appareil' });
	await submit.click();
	await page.waitForTimeout(500);
	page.off('request', onPost);
	assert.deepEqual(posts, [], 'the form was sent without the charter');
	assert.equal(new URL(page.url()).pathname, '/enrol');
	assert.equal(await charter.evaluate((e) => e.validity.valueMissing), true, 'the box is reported missing');
	ok('without the charter ticked, the browser keeps the form (no POST)');
	shot++;
	await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-enrol-no-charter.png`), fullPage: true });

	// ---- enrolled ----------------------------------------------------------
	await charter.check();
	await go('enrolled', () => submit.click());
	assert.equal(await h1(), 'Votre appareil est inscrit');
	ok('"Votre appareil est inscrit"');
	const passphrase = (await page.locator('code#passphrase').textContent()).trim();
	assert.ok(passphrase.length >= 8, `a passphrase is shown (${passphrase.length} chars)`);
	ok('the passphrase is shown');
	const dl = page.locator('a.button#download');
	const dlHref = await dl.getAttribute('href');
	assert.match(dlHref, /^\/download\/[A-Za-z0-9_-]+$/, 'the download link');
	assert.equal((await dl.textContent()).trim(), 'Télécharger mon certificat');
	ok('"Télécharger mon certificat", a one-time /download/ link');
	// a download attribute would make a used link a failed download of
	// its explanation page: the file comes as an attachment instead
	assert.equal(await dl.getAttribute('download'), null, 'no download attribute on a one-time link');
	assert.equal(await page.locator('a[download][href^="/download/"]').count(), 0, 'none on any one-time link');
	ok('no download attribute on the one-time links');
	assert.equal(await page.locator('#copy').isVisible(), false, 'without JavaScript, no copy button');
	assert.equal(await page.locator('code#passphrase').evaluate((e) => getComputedStyle(e).userSelect), 'all',
		'a tap selects the passphrase whole');
	ok('without JavaScript: no copy button, and the passphrase selects whole (user-select: all)');
	assert.equal(await page.locator('a#ca[download][href="/ca.crt"]').count(), 1, 'the school CA link');
	ok('the CA link /ca.crt');
	const values = page.locator('dl.values');
	for (const v of ['TLS', 'radius.byod.lan', LOGIN]) {
		assert.equal(await values.locator('code, dd').filter({ hasText: new RegExp(`^\\s*${v.replace(/\./g, '\\.')}\\s*$`) }).count() >= 1,
			true, `the values list ${v}`);
	}
	ok(`the values: TLS, radius.byod.lan, ${LOGIN}`);
	const first = page.locator('details.steps').first();
	assert.equal(await first.getAttribute('open'), '', 'the first steps are open');
	assert.match((await first.locator('summary').textContent()).trim(), /^Android/, 'Android first');
	ok('the steps: Android first, open');

	// ---- the language switch keeps the page, the passphrase with it -------
	await go('enrolled-en', () => page.locator('header').getByRole('link', { name: 'English' }).click(), { lang: 'en' });
	assert.equal(new URL(page.url()).pathname, '/enrolled', 'the switch went to /enrolled');
	assert.equal(await h1(), 'Your device is enrolled');
	assert.equal((await page.locator('code#passphrase').textContent()).trim(), passphrase, 'the same passphrase');
	assert.equal(await page.locator('a.button#download').getAttribute('href'), dlHref, 'the same link');
	ok('"English" keeps the page: "Your device is enrolled", the same passphrase and link');
	await go('enrolled-fr', () => page.locator('header').getByRole('link', { name: 'Français' }).click());
	assert.equal(await h1(), 'Votre appareil est inscrit');
	assert.equal((await page.locator('code#passphrase').textContent()).trim(), passphrase, 'the same passphrase');
	ok('"Français" brings it back, the same passphrase');

	// the download, as the phone saves it
	step = 'download';
	const [download] = await Promise.all([page.waitForEvent('download'), dl.click()]);
	const p12 = join(WORK, 'certificate.p12');
	await download.saveAs(p12);
	assert.equal(await download.failure(), null, 'the download completed');
	assert.match(download.suggestedFilename(), /\.p12$/, 'a .p12 file name');
	ok(`downloaded ${download.suggestedFilename()}`);
	const pem = execFileSync('openssl', ['pkcs12', '-in', p12, '-passin', `pass:${passphrase}`, '-nokeys'],
		{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	assert.match(pem, /-----BEGIN CERTIFICATE-----/, 'the PKCS#12 holds a certificate');
	ok('openssl pkcs12 opens it with the shown passphrase');
	assert.throws(() => execFileSync('openssl', ['pkcs12', '-in', p12, '-passin', 'pass:not-it', '-nokeys'],
		{ stdio: 'ignore' }), 'and not with another passphrase');
	ok('...and not with another');

	// ---- a second tap on the used link: its page, not a download ----------
	expected.add(`410 ${PORTAL}${dlHref}`);
	const before = downloads;
	await go('used-link', () => dl.click(), { status: 410 });
	assert.equal(downloads, before, 'the second tap started no download');
	assert.equal(await h1(), 'Ce lien a déjà servi ou a expiré');
	await assert.doesNotReject(page.getByText('Ce fichier a déjà été téléchargé', { exact: false }).waitFor());
	ok('a second tap shows "Ce lien a déjà servi ou a expiré" in the browser, no download');
	await go('enrolled-again', () => page.getByRole('link', { name: 'Revenir à la page de l’inscription' }).click());
	assert.equal((await page.locator('code#passphrase').textContent()).trim(), passphrase, 'the same passphrase');
	assert.equal(await page.locator('a#download').count(), 0, 'the used link is not offered again');
	await assert.doesNotReject(page.getByText('déjà téléchargé, ou le lien a expiré', { exact: false }).first().waitFor());
	ok('back on the enrolled page: the passphrase, the used file said to be used');

	// ---- with JavaScript on, the copy button copies the passphrase --------
	step = 'copy';
	const jsContext = await browser.newContext({
		viewport: { width: WIDTH, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
		locale: 'fr-FR', userAgent: ANDROID, javaScriptEnabled: true,
		storageState: await context.storageState(),
	});
	await jsContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: PORTAL });
	const jsPage = await jsContext.newPage();
	const jsErrors = [];
	jsPage.on('pageerror', (e) => jsErrors.push(e.message));
	jsPage.on('console', (m) => m.type() === 'error' && jsErrors.push(m.text()));
	const jsResponse = await jsPage.goto(PORTAL + '/enrolled');
	assert.equal(jsResponse.status(), 200, '/enrolled with JavaScript');
	assert.match(jsResponse.headers()['content-security-policy'], /script-src 'self'/, 'the page allows its own script');
	const copy = jsPage.getByRole('button', { name: 'Copier le mot de passe' });
	await assert.doesNotReject(copy.waitFor({ state: 'visible' }));
	ok('with JavaScript, a visible "Copier le mot de passe" button');
	await copy.click();
	await assert.doesNotReject(jsPage.getByText('Mot de passe copié.').waitFor({ state: 'visible' }));
	assert.equal(await jsPage.evaluate(() => navigator.clipboard.readText()), passphrase, 'the clipboard holds it');
	ok('a tap copies the passphrase ("Mot de passe copié.")');
	assert.deepEqual(jsErrors, [], 'no script error, no CSP refusal');
	ok('no script error, no CSP refusal');
	shot++;
	await jsPage.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-copy-js.png`), fullPage: true });
	await jsContext.close();

	// ---- Mes appareils: the device, then "J'ai perdu cet appareil" -----------
	await go('devices', () => page.locator('nav').getByRole('link', { name: 'Mes appareils' }).click());
	const device = page.locator('section.box.device').filter({
		has: page.locator('h2', { hasText: /^\s*Mon téléphone Android\s*$/ }) });
	assert.equal(await device.count(), 1, 'the device is listed');
	ok('the device "Mon téléphone Android" is listed');
	const lost = device.locator('details').filter({ has: page.locator('summary', { hasText: 'J’ai perdu cet appareil' }) });
	assert.equal(await lost.count(), 1, '"J’ai perdu cet appareil"');
	const block = lost.getByRole('button', { name: 'Bloquer cet appareil' });
	assert.equal(await block.isVisible(), false, 'closed until asked');
	await lost.locator('summary').click();
	assert.equal(await block.isVisible(), true, 'opened by its summary');
	ok('"J’ai perdu cet appareil" opens on a tap, with "Bloquer cet appareil"');
	step = 'lost-open';
	await labelled('lost-open');
	const confirm = lost.locator('input[type=checkbox][name=confirm]');
	await confirm.check();
	shot++;
	await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-lost-open.png`), fullPage: true });
	await redirected(await go('lost-done', () => block.click()), 'POST', '/device');
	assert.equal(new URL(page.url()).pathname, '/devices');
	await assert.doesNotReject(page.getByText('L’appareil est bloqué').first().waitFor({ state: 'visible' }));
	ok('"L’appareil est bloqué"');
	const blocked = page.locator('section.box.device').filter({
		has: page.locator('h2', { hasText: /^\s*Mon téléphone Android\s*$/ }) });
	assert.equal(await blocked.count(), 1, 'the device is still listed');
	assert.equal(await blocked.getByRole('button', { name: 'Bloquer cet appareil' }).count(), 0,
		'a blocked device cannot be blocked again');
	ok('the device is still listed, without "Bloquer cet appareil"');

	// ---- English ------------------------------------------------------------
	await go('english', () => page.locator('header').getByRole('link', { name: 'English' }).click(), { lang: 'en' });
	assert.equal(await h1(), 'My devices');
	ok('"My devices"');

	// ---- log out ------------------------------------------------------------
	await redirected(await go('logged-out', () => page.locator('nav').getByRole('button', { name: 'Log out' }).click(),
		{ lang: 'en' }), 'POST', '/logout');
	assert.equal(new URL(page.url()).pathname, '/', 'back at the start');
	assert.equal(await page.locator('form[action="/login"]').count(), 1, 'the login form again');
	assert.equal(await page.locator('nav').count(), 0, 'no nav once logged out');
	ok('logged out: the login form, no nav');
	await go('devices-after-logout', () => page.goto(PORTAL + '/devices'), { lang: 'en' });
	assert.equal(new URL(page.url()).pathname, '/', 'Mes appareils needs a login again');
	ok('after logout, /devices goes back to the login');

	// ---- the privacy notice, from the foot of the page ------------------------
	await go('privacy-en', () => page.getByRole('contentinfo')
		.getByRole('link', { name: 'Privacy and personal data' }).click(), { lang: 'en' });
	assert.equal(await h1(), 'Your personal data');
	ok('"Your personal data", from the footer\'s link');
	await go('privacy-fr', () => page.locator('header').getByRole('link', { name: 'Français' }).click());
	assert.equal(await h1(), 'Vos données personnelles');
	ok('"Vos données personnelles", the switch keeping the page');
	// axe-core needs JavaScript (its checks run on timers), off in this
	// browser: the notice is opened again in a second context with
	// JavaScript on and axe-core injected past the CSP, in both languages
	step = 'privacy-axe';
	const axeContext = await browser.newContext({ viewport: { width: WIDTH, height: 740 },
		isMobile: true, bypassCSP: true });
	const axePage = await axeContext.newPage();
	for (const lang of ['fr', 'en']) {
		const r = await axePage.goto(`${PORTAL}/confidentialite?lang=${lang}`);
		assert.equal(r.status(), 200, `the notice (${lang}) for axe-core`);
		const result = await axePage.evaluate(`(() => { ${AXE}; return axe.run(document, {
			resultTypes: ['violations'] }); })()`);
		const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ` +
			v.nodes.map((n) => n.target.join(' ')).join(', '));
		assert.deepEqual(found, [], `the notice (${lang}): axe-core violations`);
		ok(`the notice (${lang}): axe-core ${result.testEngine.version}, no violation`);
	}
	await axeContext.close();

	step = 'network';
	assert.deepEqual(foreign, [], 'the page asked only the portal');
	ok('every request went to the portal, none elsewhere');
	assert.deepEqual(broken, [], 'every request was answered (no 4xx/5xx, no failure)');
	ok('every page, stylesheet and download answered without error');
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
console.log(`${checks} passed, 0 failed (${shot} screenshots in ${SHOTS})`);
