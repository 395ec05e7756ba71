'use strict';
/** n8n's REST API as the editor uses it: owner set-up, then requests with the session cookie. */
const { httpRequest } = require('./http');

/**
 * Creates the owner account of a fresh n8n and returns the session cookie ("n8n-auth=…").
 * The password is a throwaway of the test instance, never printed.
 */
async function ownerSession(baseUrl, { email = 'owner@getcourse-bot.test', firstName = 'Test', lastName = 'Owner', password = 'Owner-Passw0rd-e2e' } = {}) {
	const res = await httpRequest(`${baseUrl}/rest/owner/setup`, { method: 'POST', body: { email, firstName, lastName, password } });
	if (res.status !== 200) throw new Error(`owner set-up failed: HTTP ${res.status} ${res.body.slice(0, 300)}`);
	const cookie = [].concat(res.headers['set-cookie'] || []).map((c) => c.split(';')[0]).find((c) => c.startsWith('n8n-auth='));
	if (!cookie) throw new Error('owner set-up gave no n8n-auth cookie');
	return cookie;
}

/** GET with the session cookie; rejects on a non-2xx answer, resolves the parsed JSON. */
async function getJson(baseUrl, path, cookie) {
	const res = await httpRequest(`${baseUrl}${path}`, { headers: { cookie } });
	if (res.status < 200 || res.status >= 300 || res.json === undefined) throw new Error(`GET ${path}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
	return res.json;
}

module.exports = { ownerSession, getJson };
