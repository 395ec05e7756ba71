'use strict';
/**
 * Tooling to run real n8n 2.x headless with this package loaded (npm start, the end-to-end tests,
 * the benchmarks). Plain CommonJS; runs on Node 20 and Node 24. n8n itself always runs on Node 24.
 *
 *   paths.js            versions, folders, templates, the compiled lib
 *   install.js          Node 24 + n8n into the cache (locks, atomic installs)
 *   env.js              the environment of an instance
 *   instance.js         one instance: CLI (import, publish, execute) and start
 *   server.js           `n8n start`: log, readiness, stop by PID;  parentWatch.js: no orphan n8n
 *   communityPackage.js the package linked, or installed from a tarball as n8n's installer does
 *   database.js         PostgreSQL databases for n8n;  http.js, rest.js: loopback HTTP and REST API
 *   executions.js       what n8n recorded of an execution's node runs
 *   processes.js, runOutput.js, ids.js   small helpers
 */
const { N8N_VERSION, PACKAGE_NAME, REPO_DIR, templatePath } = require('./paths');
const { ensureRuntime } = require('./install');
const { createInstance } = require('./instance');
const { createDatabase, dropDatabase, withPg, quoteIdentifier } = require('./database');
const { httpRequest, freePort } = require('./http');
const { ownerSession, getJson } = require('./rest');
const { executionRunData } = require('./executions');
const { run } = require('./processes');
const { randomId } = require('./ids');

module.exports = {
	N8N_VERSION,
	PACKAGE_NAME,
	REPO_DIR,
	templatePath,
	ensureRuntime,
	createInstance,
	createDatabase,
	dropDatabase,
	withPg,
	executionRunData,
	quoteIdentifier,
	httpRequest,
	freePort,
	ownerSession,
	getJson,
	run,
	randomId,
};
