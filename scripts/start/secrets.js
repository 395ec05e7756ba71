'use strict';
/** Secrets `npm start` keeps in its data folder: read if there, else generated once (mode 0600). */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

function readOrCreateSecret(file, bytes = 24) {
	if (fs.existsSync(file)) {
		const value = fs.readFileSync(file, 'utf8').trim();
		if (value) {
			if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
			return { value, created: false };
		}
	}
	const value = crypto.randomBytes(bytes).toString('base64url');
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.writeFileSync(file, value + '\n', { mode: 0o600 });
	fs.chmodSync(file, 0o600); // an existing empty file keeps its mode on write
	return { value, created: true };
}

/** GETCOURSE_SHARED_SECRET from the environment or .env, else <data>/webhook-secret. */
function webhookSecret(dataDir, env = process.env) {
	const given = (env.GETCOURSE_SHARED_SECRET || '').trim();
	if (given) return { value: given, source: 'GETCOURSE_SHARED_SECRET' };
	const file = path.join(dataDir, 'webhook-secret');
	const { value, created } = readOrCreateSecret(file);
	return { value, source: `${created ? 'generated into' : 'kept in'} ${file}` };
}

module.exports = { readOrCreateSecret, webhookSecret };
