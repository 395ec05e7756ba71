'use strict';
const crypto = require('node:crypto');

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random id of letters and digits (n8n's credential and workflow ids look like this). */
function randomId(length = 16) {
	let id = '';
	for (const b of crypto.randomBytes(length)) id += ALPHABET[b % ALPHABET.length];
	return id;
}

module.exports = { randomId };
