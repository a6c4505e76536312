// SPDX-License-Identifier: GPL-2.0-or-later
// geteduroam's desktop flow with a client nobody on this project wrote:
// openid-client (panva) discovers the portal from
// /.well-known/openid-configuration, builds a PKCE S256 authorization
// request for geteduroam's Linux client id with a loopback redirect on
// 127.0.0.1 (a listener of its own, any port, RFC 8252), Chromium does the
// pupil's part (the portal's login, then the consent with the charter),
// openid-client exchanges the code at the token endpoint and POSTs to the
// eap-config endpoint with the access token as Bearer. Then, with the
// refresh token, a new access token and the eap-config again: a renewal
// inside the window, or the JSON refusal saying from when.
// Writes $WORK/eap-config-1.xml and, when renewed, $WORK/eap-config-2.xml;
// $WORK/renew.json holds the second answer's status and JSON body.
import * as client from 'openid-client';
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';

const { PORTAL_URL, LOGIN, PASSWORD, WORK, CHROMIUM, SHOTS } = process.env;
const CLIENT_ID = 'app.geteduroam.sh';

const config = await client.discovery(new URL(PORTAL_URL), CLIENT_ID, undefined, client.None(), {
	execute: [client.allowInsecureRequests],
});
const meta = config.serverMetadata();
assert.ok(meta.supportsPKCE('S256'), 'the portal announces PKCE S256');
assert.ok(meta.eapconfig_endpoint, 'the portal announces its eap-config endpoint');

// the app's loopback listener: the first request to it carries the answer
let answer;
const answered = new Promise((resolve, reject) => {
	answer = resolve;
	setTimeout(() => reject(new Error('no answer at the loopback redirect in 30 s')), 30000).unref();
});
const listener = createServer((req, res) => {
	res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
	res.end('geteduroam: you may close this window\n');
	answer(req.url);
});
await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));
const redirectUri = `http://127.0.0.1:${listener.address().port}/`;

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const authUrl = client.buildAuthorizationUrl(config, {
	redirect_uri: redirectUri,
	scope: 'eap-metadata',
	code_challenge: await client.calculatePKCECodeChallenge(verifier),
	code_challenge_method: 'S256',
	state,
});

const browser = await chromium.launch({
	executablePath: CHROMIUM,
	args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
try {
	const page = await browser.newPage({ locale: 'fr-FR', viewport: { width: 1000, height: 900 } });
	await page.goto(authUrl.href);
	// the portal's normal login
	await page.locator('#login').fill(LOGIN);
	await page.locator('#password').fill(PASSWORD);
	await page.screenshot({ path: `${SHOTS}/1-login.png` });
	await Promise.all([page.waitForURL(/\/oauth\/consent$/), page.locator('form[action="/login"] button').click()]);
	// the consent: the app, the account, the charter
	const text = await page.locator('main').innerText();
	assert.match(text, /geteduroam \(Linux\)/, 'the consent names the app');
	assert.match(text, new RegExp(LOGIN.replace('.', '\\.')), 'the consent names the account');
	await page.screenshot({ path: `${SHOTS}/2-consent.png` });
	await page.locator('#charter').check();
	const [callback] = await Promise.all([
		answered,
		page.locator('button[name="action"][value="accept"]').click(),
	]);
	const currentUrl = new URL(callback, redirectUri);
	const tokens = await client.authorizationCodeGrant(config, currentUrl, {
		pkceCodeVerifier: verifier,
		expectedState: state,
	});
	assert.equal(tokens.token_type.toLowerCase(), 'bearer');
	assert.ok(tokens.refresh_token, 'a refresh token');

	const eap = new URL(meta.eapconfig_endpoint);
	const first = await client.fetchProtectedResource(config, tokens.access_token, eap, 'POST');
	assert.equal(first.status, 200, 'the eap-config');
	assert.equal(first.headers.get('content-type'), 'application/eap-config');
	writeFileSync(`${WORK}/eap-config-1.xml`, Buffer.from(await first.arrayBuffer()));

	// later: the app refreshes and asks again (a renewal)
	const again = await client.refreshTokenGrant(config, tokens.refresh_token);
	assert.notEqual(again.refresh_token, tokens.refresh_token, 'the refresh token rotates');
	const second = await client.fetchProtectedResource(config, again.access_token, eap, 'POST');
	const body = Buffer.from(await second.arrayBuffer());
	if (second.status === 200)
		writeFileSync(`${WORK}/eap-config-2.xml`, body);
	writeFileSync(`${WORK}/renew.json`, JSON.stringify({
		status: second.status,
		body: second.status === 200 ? null : JSON.parse(body.toString()),
	}));
	console.log('geteduroam flow: done');
} finally {
	await browser.close();
	listener.close();
}
