// SPDX-License-Identifier: GPL-2.0-or-later
// The login page with identity sources configured (login-sources.sh), in
// headless Chromium: the LDAP source's button, the CAS source's (a link that
// starts the sign-in at the ENT), the SAML source's (a link to
// /saml/login/educonnect) and the local account's last, all reached
// by keyboard after the fields in byod.conf's order, named by their words;
// the CAS button leads to the portal's /cas/login/ent, which sends the
// browser on to the ENT's CAS login with a state cookie; Enter in the form
// never leaves for the ENT; axe-core finds no violation in French or in
// English.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const env = (n) => {
	const v = process.env[n];
	if (!v)
		throw new Error(`${n} is not set`);
	return v;
};
const PORTAL = env('PORTAL_URL');
const ENT = env('ENT_URL'); // nothing listens there
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let checks = 0;
const ok = (what) => console.log(`ok ${++checks} - ${what}`);

const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true });
try {
	// axe-core runs on timers: JavaScript on, injected past the CSP
	const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true,
		bypassCSP: true, locale: 'fr-FR' });
	const page = await ctx.newPage();
	for (const lang of ['fr', 'en']) {
		const r = await page.goto(`${PORTAL}/?lang=${lang}`);
		assert.equal(r.status(), 200, `the login page (${lang})`);
		const result = await page.evaluate(`(() => { ${AXE}; return axe.run(document, {
			resultTypes: ['violations'] }); })()`);
		const found = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ` +
			v.nodes.map((n) => n.target.join(' ')).join(', '));
		assert.deepEqual(found, [], `the login page (${lang}): axe-core violations`);
		ok(`the login page with a source (${lang}): axe-core ${result.testEngine.version}, no violation`);
	}
	await page.goto(`${PORTAL}/?lang=fr`);
	const src = page.getByRole('button', { name: 'Se connecter avec l’annuaire du collège' });
	const local = page.getByRole('button', { name: 'Se connecter avec un compte local' });
	assert.equal(await src.count(), 1, "the source's button, named by its words");
	assert.equal(await local.count(), 1, "the local account's button");
	ok("the source's button and the local account's, named by their words");
	const cas = page.getByRole('link', { name: 'Se connecter avec l’ENT' });
	assert.equal(await cas.count(), 1, "the CAS source's button, a link named by its words");
	assert.equal(await cas.getAttribute('href'), '/cas/login/ent', 'it starts the CAS sign-in');
	ok("the CAS source's button: a link to /cas/login/ent named by its words");
	const saml = page.getByRole('link', { name: 'Se connecter avec ÉduConnect' });
	assert.equal(await saml.count(), 1, "the SAML source's button, a link named by its words");
	assert.equal(await saml.getAttribute('href'), '/saml/login/educonnect',
		'it starts the SAML sign-in');
	ok("the SAML source's button: a link to /saml/login/educonnect named by its words");
	const names = await page.locator('form[action="/login"] button, form[action="/login"] a')
		.allTextContents();
	assert.deepEqual(names, ['Se connecter avec l’annuaire du collège',
		'Se connecter avec l’ENT', 'Se connecter avec ÉduConnect',
		'Se connecter avec un compte local'], "byod.conf's order, the local one last");
	ok("the sources in byod.conf's order, the local account's button last");
	// the CAS button's box is a button's: at least 44 px high, as wide as the others
	const box = await cas.boundingBox(), lbox = await local.boundingBox();
	assert.ok(box.height >= 44 && Math.abs(box.width - lbox.width) < 1,
		`the CAS button's size (${box.width}x${box.height})`);
	const sbox = await saml.boundingBox();
	assert.ok(sbox.height >= 44 && Math.abs(sbox.width - lbox.width) < 1,
		`the SAML button's size (${sbox.width}x${sbox.height})`);
	ok("the CAS and SAML buttons are as large as the others");
	await page.locator('#login').focus();
	const order = [];
	for (let i = 0; i < 5; i++) {
		await page.keyboard.press('Tab');
		order.push(await page.evaluate(() => document.activeElement.id ||
			document.activeElement.textContent));
	}
	assert.deepEqual(order, ['password', 'Se connecter avec l’annuaire du collège',
		'Se connecter avec l’ENT', 'Se connecter avec ÉduConnect',
		'Se connecter avec un compte local'], 'the keyboard order');
	ok('by keyboard: the login, the password, the LDAP source, the ENT, ÉduConnect, ' +
		'the local account');
	// Enter on the focused ENT button follows it: the portal's redirect to
	// the ENT (where nothing listens: the request is all that is checked),
	// a state cookie
	await page.locator('#login').focus();
	for (let i = 0; i < 3; i++)
		await page.keyboard.press('Tab');
	const [req] = await Promise.all([
		page.waitForRequest((r) => r.url().startsWith(`${ENT}/cas/login?`)),
		page.waitForEvent('requestfailed', (r) => r.url().startsWith(`${ENT}/cas/login?`)),
		page.keyboard.press('Enter'),
	]);
	assert.equal(req.url(), `${ENT}/cas/login?service=` +
		encodeURIComponent('https://portal.byod.lan/cas/callback/ent'), 'the CAS login URL');
	const state = (await ctx.cookies()).find((c) => c.name === 'byod_cas');
	assert.ok(state && state.sameSite === 'Lax' && state.httpOnly && state.path === '/cas/',
		`the state cookie: ${JSON.stringify(state)}`);
	ok("Enter on the ENT button: the portal sends the browser to the ENT's CAS login, " +
		'a state cookie (SameSite=Lax, HttpOnly, /cas/) set');
	// Enter in the password field sends the form to the first submit button
	// (the LDAP source), never to the ENT (a new tab: the first one is on
	// the browser's error page)
	const tab = await ctx.newPage();
	await tab.goto(`${PORTAL}/?lang=fr`);
	await tab.locator('#login').fill('alice');
	await tab.locator('#password').fill('not-sent-to-the-ent');
	const [post] = await Promise.all([
		tab.waitForRequest((r) => r.method() === 'POST'),
		tab.locator('#password').press('Enter'),
	]);
	assert.ok(post.url().endsWith('/login') && /source=college/.test(post.postData()),
		`Enter in the form: ${post.url()} ${post.postData()}`);
	ok('Enter in the password field: the form to /login with the first source, not the ENT');
	await ctx.close();
} catch (e) {
	console.error(`not ok - ${e.message}`);
	process.exitCode = 1;
} finally {
	await browser.close();
}
