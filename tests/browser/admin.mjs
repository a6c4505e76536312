// SPDX-License-Identifier: GPL-2.0-or-later
//
// byod-admin in a real browser: headless Chromium (Debian's
// /usr/bin/chromium) driven by playwright-core, 360 px wide, in French,
// with JavaScript off (the console must work without it). A département
// administrator's first login: the password, then the TOTP enrolment (the
// QR code and the key on the page, the code computed here with Node's own
// HMAC from the key the page shows), then every page of the navigation, a
// device's page, the English switch, an error page, the privacy page and the logout. On
// every page: the HTTP status, <html lang>, no sideways scroll at 360 px,
// a label for every field, and axe-core (pinned in package-lock.json) run
// in the page with no violation at all. One screenshot per page in $SHOTS.
//
// Run by tests/browser/admin.sh. Environment: ADMIN_URL (https://127.0.0.1:PORT),
// LOGIN, PASSWORD, DEVICE (a device id the administrator may see), SHOTS,
// CHROMIUM (default /usr/bin/chromium).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
	const v = process.env[name];
	if (!v) {
		console.error(`admin.mjs: ${name} must be set`);
		process.exit(2);
	}
	return v;
};
const ADMIN = env('ADMIN_URL').replace(/\/$/, '');
const LOGIN = env('LOGIN');
const PASSWORD = env('PASSWORD');
const DEVICE = env('DEVICE');
// the other roles: a school administrator of DEVICE's school, who must not
// see DEVICE_B (another school's), and an auditor
const SCHOOL_LOGIN = env('SCHOOL_LOGIN');
const AUDITOR_LOGIN = env('AUDITOR_LOGIN');
const DEVICE_B = env('DEVICE_B');
// the two schools, and a person of each (PERSON: DEVICE's owner)
const UAI = env('UAI');
const OTHER_UAI = env('OTHER_UAI');
const PERSON = env('PERSON');
const OTHER_PERSON = env('OTHER_PERSON');
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

// RFC 6238 (HMAC-SHA1, 30 s, 6 digits) from a base32 key, for the step
// now + offset: Node's implementation, not the console's
function totp(key, offset = 0) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const ch of key.replace(/[\s=]/g, '').toUpperCase()) {
		const v = alphabet.indexOf(ch);
		assert.ok(v >= 0, `the key has a character that is not base32: ${ch}`);
		bits += v.toString(2).padStart(5, '0');
	}
	const bytes = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
	const counter = Buffer.alloc(8);
	counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30) + offset));
	const mac = createHmac('sha1', bytes).update(counter).digest();
	const o = mac[mac.length - 1] & 15;
	return String((mac.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

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
const context = await browser.newContext({
	viewport: { width: WIDTH, height: 740 },
	deviceScaleFactor: 2,
	isMobile: true,
	hasTouch: true,
	locale: 'fr-FR',
	javaScriptEnabled: false,
	// the console's certificate is the school CA's (byodctl init), which
	// this browser was not told to trust
	ignoreHTTPSErrors: true,
});
context.setDefaultTimeout(10000);
const page = await context.newPage();

const foreign = [];
page.on('request', (r) => {
	if (!r.url().startsWith(ADMIN + '/'))
		foreign.push(r.url());
});
const broken = [];
const expected = new Set([`404 ${ADMIN}/nowhere`, `404 ${ADMIN}/devices/${DEVICE_B}`,
	`404 ${ADMIN}/people/${OTHER_PERSON}`, `404 ${ADMIN}/policy/${OTHER_UAI}`,
	`404 ${ADMIN}/policy/default`, `404 ${ADMIN}/ecole/${OTHER_UAI}`,
	`404 ${ADMIN}/audit?school=${OTHER_UAI}`, `404 ${ADMIN}/audit.csv?school=${OTHER_UAI}`]);
page.on('response', (r) => {
	if (r.status() >= 400 && !expected.has(`${r.status()} ${r.url()}`))
		broken.push(`${r.status()} ${r.request().method()} ${r.url()}`);
});

// axe-core needs JavaScript (its checks run on timers), which this
// browser has off: each page is opened again, by GET with the same
// cookies, in a second context with JavaScript on and axe-core injected
// past the page's CSP; every rule, no violation
const axeContext = await browser.newContext({
	viewport: { width: WIDTH, height: 740 },
	isMobile: true,
	locale: 'fr-FR',
	ignoreHTTPSErrors: true,
	bypassCSP: true,
});
const axePage = await axeContext.newPage();
const within = (ms, p, what) => Promise.race([p, new Promise((_, no) =>
	setTimeout(() => no(new Error(`${what}: no answer in ${ms / 1000} s`)), ms).unref())]);
async function axe(name, status) {
	await axeContext.clearCookies();
	await axeContext.addCookies(await context.cookies());
	const r = await axePage.goto(page.url());
	assert.equal(r.status(), status, `${name}: the page again for axe-core`);
	const result = await within(30000, axePage.evaluate(`(() => { ${AXE}; return axe.run(document, {
		resultTypes: ['violations'] }); })()`), `${name}: axe-core`);
	const found = result.violations.map((v) =>
		`${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
	assert.deepEqual(found, [], `${name}: axe-core violations`);
	ok(`axe-core ${result.testEngine.version}: no violation`);
}

async function labelled(name) {
	const fields = page.locator('input:not([type=hidden]), select, textarea');
	const n = await fields.count();
	for (let i = 0; i < n; i++) {
		const f = fields.nth(i);
		const id = await f.getAttribute('id');
		assert.ok(id, `${name}: field ${i} has no id`);
		const label = page.locator(`label[for="${id}"]`);
		assert.equal(await label.count(), 1, `${name}: no <label for="${id}">`);
		const text = (await label.textContent()).trim();
		assert.ok(text, `${name}: <label for="${id}"> is empty`);
	}
	ok(`${n} field(s), each with its label`);
}

async function settle(name, response, { lang = 'fr', status = 200 } = {}) {
	assert.ok(response, `${name}: no response`);
	assert.equal(response.status(), status, `${name}: HTTP status`);
	ok(`HTTP ${status}`);
	await page.waitForLoadState('load');
	assert.equal(await page.locator('html').getAttribute('lang'), lang, `${name}: <html lang>`);
	ok(`<html lang="${lang}">`);
	// no script but the dashboard's own (progressive: the page is whole without it)
	const scripts = await page.locator('script').evaluateAll(
		(els) => els.map((e) => e.getAttribute('src') || 'inline'));
	assert.ok(scripts.every((src) => src === '/static/dashboard.js'),
		`${name}: a <script> other than the dashboard's: ${scripts}`);
	ok('no script but the dashboard\'s');
	assert.equal(await page.locator('main h1').count(), 1, `${name}: one <h1> in <main>`);
	ok('one heading h1 in main');
	const sw = await within(10000, page.evaluate(() => document.documentElement.scrollWidth),
		`${name}: scrollWidth`);
	assert.ok(sw <= WIDTH, `${name}: scrollWidth ${sw} > ${WIDTH}`);
	ok(`no horizontal scroll at ${WIDTH} px`);
	await labelled(name);
	await axe(name, status);
	shot++;
	await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`),
		fullPage: true });
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

// A POST with this browser's cookies and the form token of the page shown
// (every page has one, in its logout form): what a pupil with the
// administrator's browser, or a forged form, could send
async function post(path, fields) {
	const csrf = await page.locator('input[name=csrf]').first().getAttribute('value');
	assert.ok(csrf, 'a form token on the page');
	return page.request.post(ADMIN + path, { form: { csrf, ...fields }, maxRedirects: 0 });
}

const h1 = () => page.locator('main h1').first().textContent().then((t) => t.trim());

try {
	await go('login', () => page.goto(ADMIN + '/'));
	assert.equal(await h1(), 'Connexion');
	ok('"Connexion"');
	// the identity source's button under the local form, and its form
	await go('login-source', () => page.getByRole('link',
		{ name: 'Se connecter avec l\'annuaire du collège' }).click());
	assert.equal(await h1(), 'Connexion avec l\'annuaire du collège');
	ok('a directory\'s button leads to its own form');
	await go('login-again', () => page.getByRole('link', { name: 'Revenir à la connexion' }).click());
	await page.getByLabel('Identifiant', { exact: true }).fill(LOGIN);
	await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);

	await go('totp-enrolment', () => page.getByRole('button', { name: 'Continuer' }).click());
	assert.equal(await h1(), 'Activer la double authentification');
	ok('the enrolment comes first');
	const qr = page.getByRole('img', { name: 'Code QR à scanner avec l’application d’authentification' });
	assert.equal(await qr.count(), 1, 'the QR code, named');
	const box = await qr.boundingBox();
	assert.ok(box.width >= 150 && box.width <= WIDTH, `the QR code is ${box.width} px wide`);
	ok(`an inline QR code, ${Math.round(box.width)} px wide, named for a screen reader`);
	const key = (await page.locator('code.secret').textContent()).replace(/\s/g, '');
	assert.match(key, /^[A-Z2-7]{32}$/);
	ok('the key as text, in groups of four');
	// the QR code as an authenticator's camera reads it: zbarimg on the
	// image the browser drew
	const qrFile = join(SHOTS, 'qr.png');
	await qr.screenshot({ path: qrFile });
	const uri = new URL(execFileSync('zbarimg', ['-q', '--raw', qrFile], { encoding: 'utf8' }).trim());
	assert.equal(uri.protocol, 'otpauth:');
	assert.equal(uri.host, 'totp');
	assert.equal(uri.searchParams.get('secret'), key);
	assert.equal(decodeURIComponent(uri.pathname).replace(/^\//, '').split(':').pop(), LOGIN);
	ok(`the QR code reads as ${uri.protocol}//totp/...:${LOGIN}, with the key shown`);
	// another page before the code is proved: back to the enrolment
	step = 'totp-enrolment';
	const r = await page.goto(ADMIN + '/devices');
	assert.equal(new URL(r.url()).pathname, '/totp', 'no other page before the second factor');
	ok('/devices leads back to the enrolment');
	await page.getByLabel('Code à 6 chiffres', { exact: true }).fill(totp(key));

	await go('dashboard', () => page.getByRole('button', { name: 'Activer et se connecter' }).click());
	assert.equal(await h1(), 'Les écoles du département');
	ok('logged in, on the dashboard');
	const nav = page.getByRole('navigation', { name: 'Navigation principale' });
	for (const entry of ['Tableau de bord', 'Appareils', 'Personnes', 'Politique', 'Journal'])
		assert.equal(await nav.getByRole('link', { name: entry, exact: true }).count(), 1, entry);
	ok('the navigation: Tableau de bord, Appareils, Personnes, Politique, Journal');
	assert.equal(await nav.locator('[aria-current=page]').textContent(), 'Tableau de bord');
	ok('the current entry marked (aria-current)');
	assert.ok(await page.getByText('Admin ' + LOGIN).isVisible());
	assert.ok(await page.getByText('Département, tous les établissements').isVisible());
	ok("the administrator's name and role in the header");
	for (const uai of [UAI, OTHER_UAI])
		assert.equal(await page.locator('table.schools').getByText(uai).count() >= 1, true, uai);
	ok(`the département's table has both schools (${UAI}, ${OTHER_UAI})`);

	await go('devices', () => nav.getByRole('link', { name: 'Appareils', exact: true }).click());
	await page.getByLabel('Rechercher un appareil', { exact: true }).fill('pupil');
	await go('devices-search', () => page.getByRole('button', { name: 'Rechercher', exact: true }).click());
	assert.ok(await page.locator(`a[href="/devices/${DEVICE}"]`).count() === 1, 'the device found');
	ok('the search finds the device');
	assert.equal(await page.locator(`a[href="/devices/${DEVICE_B}"]`).count(), 1);
	ok("and the other school's: the département sees every school");
	await go('device', () => page.locator(`a[href="/devices/${DEVICE}"]`).click());
	assert.equal(await page.getByRole('button', { name: 'Suspendre' }).count(), 1);
	ok('a device page with its "Suspendre" button');
	await go('device-suspended', () => page.getByRole('button', { name: 'Suspendre' }).click());
	assert.ok(await page.getByRole('status').filter({ hasText: 'L’appareil est suspendu.' }).isVisible());
	ok('suspended, and the page says so');
	// the policy pages: the default's editor, one of its versions, a
	// school's editor; the class code sheet's form
	await go('policy-default', () => page.goto(ADMIN + '/policy/default'));
	assert.equal(await page.getByLabel('Texte de la politique (YAML)', { exact: true }).count(), 1);
	ok('the editor: a labelled text area');
	await go('policy-version', () => page.locator('#history a').first().click());
	await go('policy-school', () => page.goto(ADMIN + '/policy/0131234W'));
	await go('codes', () => page.goto(ADMIN + '/codes'));
	for (const [name, entry] of [['people', 'Personnes'], ['policy', 'Politique'], ['audit', 'Journal']]) {
		await go(name, () => nav.getByRole('link', { name: entry, exact: true }).click());
		assert.equal(await h1(), entry);
	}
	await go('audit-en', () => page.getByRole('link', { name: 'English' }).click(), { lang: 'en' });
	assert.equal(await h1(), 'Audit log');
	ok('the switch keeps the page, in English');
	await go('not-found-en', () => page.goto(ADMIN + '/nowhere'), { lang: 'en', status: 404 });
	assert.equal(await h1(), 'Page not found');
	await go('dashboard-en', () => page.getByRole('navigation', { name: 'Main navigation' })
		.getByRole('link', { name: 'Dashboard', exact: true }).click(),
		{ lang: 'en' });
	await go('dashboard-fr', () => page.getByRole('link', { name: 'Français' }).click());
	assert.equal(await h1(), 'Les écoles du département');
	// the privacy page, from the link at the foot of every page
	await go('privacy', () => page.getByRole('contentinfo')
		.getByRole('link', { name: 'Confidentialité et données personnelles' }).click());
	assert.equal(await h1(), 'Confidentialité');
	ok('the privacy page from the footer\'s link');
	await go('privacy-en', () => page.getByRole('link', { name: 'English' }).click(), { lang: 'en' });
	assert.equal(await h1(), 'Privacy');
	await go('dashboard-back', () => page.goto(ADMIN + '/dashboard?lang=fr'));
	await go('logout', () => page.getByRole('button', { name: 'Se déconnecter' }).click());
	assert.equal(await h1(), 'Connexion');
	ok('logged out, on the login page');

	// ---- the other roles: each one's first login, then what they see ----
	const firstLogin = async (who, login) => {
		await go(`${who}-login`, () => page.goto(ADMIN + '/login'));
		await page.getByLabel('Identifiant', { exact: true }).fill(login);
		await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
		await go(`${who}-totp`, () => page.getByRole('button', { name: 'Continuer' }).click());
		const k = (await page.locator('code.secret').textContent()).replace(/\s/g, '');
		await page.getByLabel('Code à 6 chiffres', { exact: true }).fill(totp(k));
		await go(`${who}-dashboard`, () =>
			page.getByRole('button', { name: 'Activer et se connecter' }).click());
	};
	await firstLogin('school', SCHOOL_LOGIN);
	assert.ok(await page.getByText('Établissement · 0131234W').isVisible(), 'the role and school');
	ok('the school administrator: their role and school in the header');
	await go('school-devices', () => page.goto(ADMIN + '/devices'));
	assert.equal(await page.locator(`a[href="/devices/${DEVICE}"]`).count(), 1);
	assert.equal(await page.locator(`a[href="/devices/${DEVICE_B}"]`).count(), 0);
	ok("their school's device listed, not the other school's");
	await go('school-people', () => page.goto(ADMIN + '/people?q=pupil'));
	assert.equal(await page.locator(`a[href="/people/${PERSON}"]`).count(), 1);
	assert.equal(await page.locator(`a[href="/people/${OTHER_PERSON}"]`).count(), 0);
	ok("their school's pupil listed, not the other school's");
	// every way at the other school a page offers, by its URL: each a 404
	// page (and an audit row, counted by admin.sh), never the other's data
	const pages = [
		['device', "the other school's device", `/devices/${DEVICE_B}`],
		['person', "the other school's pupil", `/people/${OTHER_PERSON}`],
		['policy', "the other school's policy", `/policy/${OTHER_UAI}`],
		['default', "the département's default policy", '/policy/default'],
		['dashboard', "the other school's dashboard", `/ecole/${OTHER_UAI}`],
		['audit', "the other school's audit log", `/audit?school=${OTHER_UAI}`],
		['audit-csv', "the other school's audit export", `/audit.csv?school=${OTHER_UAI}`],
	];
	for (const [name, what, path] of pages) {
		await go(`school-other-${name}`, () => page.goto(ADMIN + path), { status: 404 });
		assert.equal(await h1(), 'Page introuvable');
		ok(`${what} (${path}): the 404 page`);
	}
	// and by forms, with a good token: nothing changes (admin.sh checks)
	const forms = [
		['suspend a device', `/devices/${DEVICE_B}`, { action: 'suspend' }],
		['disable a person', `/people/${OTHER_PERSON}`, { action: 'disable' }],
		['apply a policy', `/policy/${OTHER_UAI}`,
			{ action: 'apply', expected: '0', comment: 'x', text: 'default: reject\n' }],
		['a class code sheet', '/codes', { school: OTHER_UAI, group: '4B', hours: '24' }],
	];
	for (const [what, path, fields] of forms) {
		step = `school-post-${what}`;
		const r = await post(path, fields);
		assert.equal(r.status(), 404, `${what}: HTTP ${r.status()}`);
		ok(`POST ${path} (${what}) at the other school: 404`);
	}
	await go('school-logout', () => page.getByRole('button', { name: 'Se déconnecter' }).click());

	await firstLogin('auditor', AUDITOR_LOGIN);
	assert.ok(await page.getByText('Auditeur, lecture seule').isVisible(), 'the role');
	ok('the auditor: read-only, said in the header');
	await go('auditor-device', () => page.goto(`${ADMIN}/devices/${DEVICE_B}`));
	assert.equal(await page.getByRole('button', { name: /Suspendre|Réactiver|Révoquer/ }).count(), 0);
	ok('a device page without a button that changes it');
	// the auditor's forms, each with a good token: refused, nothing changes
	const changes = [
		['resume a device', `/devices/${DEVICE}`, { action: 'resume' }],
		['disable a person', `/people/${PERSON}`, { action: 'disable' }],
		['apply a policy', `/policy/${UAI}`,
			{ action: 'apply', expected: '0', comment: 'x', text: 'default: reject\n' }],
		['a class code sheet', '/codes', { school: UAI, group: '4B', hours: '24' }],
		['an import', '/people-import', { step: 'check', text: 'login,role,school\nx,student,' + UAI }],
	];
	for (const [what, path, fields] of changes) {
		step = `auditor-post-${what}`;
		const r = await post(path, fields);
		assert.equal(r.status(), 403, `${what}: HTTP ${r.status()}`);
		ok(`POST ${path} (${what}) by the auditor: 403`);
	}
	await go('auditor-logout', () => page.getByRole('button', { name: 'Se déconnecter' }).click());

	assert.deepEqual(foreign, [], 'requests to anyone but the console');
	ok('no request to anyone but the console');
	assert.deepEqual(broken, [], 'answers that are errors');
	ok('no error answer but the 404 asked for');
	console.log(`admin.mjs: ${checks} checks passed, ${shot} screenshots in ${SHOTS}`);
} catch (e) {
	shot++;
	await page.screenshot({ path: join(SHOTS, `${String(shot).padStart(2, '0')}-FAILED-${step}.png`),
		fullPage: true }).catch(() => {});
	console.error(`admin.mjs: ${step}: ${e.message}`);
	process.exitCode = 1;
} finally {
	await browser.close();
}
