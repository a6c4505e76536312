// SPDX-License-Identifier: GPL-2.0-or-later
// The login page with an identity source configured (login-sources.sh), in
// headless Chromium: the source's button and the local account's last, both
// reached by keyboard after the fields in that order, named by their words;
// axe-core finds no violation in French or in English.
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
	const names = await page.locator('form[action="/login"] button').allTextContents();
	assert.equal(names[names.length - 1], 'Se connecter avec un compte local', 'the local one last');
	ok("the local account's button last");
	await page.locator('#login').focus();
	const order = [];
	for (let i = 0; i < 3; i++) {
		await page.keyboard.press('Tab');
		order.push(await page.evaluate(() => document.activeElement.id ||
			document.activeElement.textContent));
	}
	assert.deepEqual(order, ['password', 'Se connecter avec l’annuaire du collège',
		'Se connecter avec un compte local'], 'the keyboard order');
	ok('by keyboard: the login, the password, the source, the local account');
	await ctx.close();
} catch (e) {
	console.error(`not ok - ${e.message}`);
	process.exitCode = 1;
} finally {
	await browser.close();
}
