'use strict';
/** The environment of every n8n command of one instance: quiet, offline, loopback only, PostgreSQL. */
const { pathWithNode } = require('./install');

const QUIET_ENV = {
	N8N_DIAGNOSTICS_ENABLED: 'false',
	N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
	N8N_TEMPLATES_ENABLED: 'false',
	N8N_PERSONALIZATION_ENABLED: 'false',
	N8N_HIRING_BANNER_ENABLED: 'false',
	N8N_DYNAMIC_BANNERS_ENABLED: 'false',
	N8N_DISABLED_MODULES: 'mcp-registry',
	N8N_LISTEN_ADDRESS: '127.0.0.1',
	N8N_SECURE_COOKIE: 'false',
	GENERIC_TIMEZONE: 'UTC',
	N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
	N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
	N8N_USE_WORKFLOW_PUBLICATION_SERVICE: 'false',
	N8N_METRICS: 'false',
};

/**
 * @param {object} o
 * @param {string} o.userFolder  N8N_USER_FOLDER (n8n keeps its settings in <userFolder>/.n8n)
 * @param {number} o.port        HTTP port (127.0.0.1 only)
 * @param {string} o.dbName      n8n's own PostgreSQL database
 * @param {string} o.encryptionKey  the same for every command touching one n8n database
 * @param {object} [o.db]        {host, port, user, password, ssl?, sslCa?} of the PostgreSQL server for
 *   n8n's database; ssl is one of the package's modes (n8n itself cannot skip the host name check,
 *   so verify-ca is verify-full for n8n's own connection)
 * @param {number} [o.brokerPort] task-runner broker port (default: port + 1)
 * @param {object} [o.extra]     more variables (win over the defaults)
 * @param {string} [o.node]      Node 24 binary (put first on PATH)
 */
function n8nEnv({ userFolder, port = 5678, dbName, encryptionKey, db = {}, brokerPort, extra = {}, node } = {}) {
	if (!userFolder) throw new Error('n8nEnv: userFolder is required');
	if (!dbName) throw new Error('n8nEnv: dbName is required');
	if (!encryptionKey) throw new Error('n8nEnv: encryptionKey is required');
	const env = { ...process.env };
	// Never inherit settings meant for another n8n, nor jest/ts-node hooks.
	for (const key of Object.keys(env)) {
		// NODE_ENV=test (set by jest) switches n8n into its own test mode (other database set-up, no migrations).
		if (/^(N8N_|DB_|EXECUTIONS_|WEBHOOK_URL$|QUEUE_|NODE_OPTIONS$|NODE_PATH$|NODE_ENV$|JEST_WORKER_ID$)/.test(key)) delete env[key];
	}
	Object.assign(env, QUIET_ENV, {
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}/`,
		WEBHOOK_URL: `http://127.0.0.1:${port}/`,
		N8N_ENCRYPTION_KEY: encryptionKey,
		N8N_RUNNERS_BROKER_PORT: String(brokerPort || Number(port) + 1),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: db.host || '127.0.0.1',
		DB_POSTGRESDB_PORT: String(db.port || 5432),
		DB_POSTGRESDB_USER: db.user || 'postgres',
		DB_POSTGRESDB_PASSWORD: db.password || '',
		DB_POSTGRESDB_DATABASE: dbName,
		DB_POSTGRESDB_SCHEMA: 'public',
		// n8n's default pool of 2 connections is used up under a burst of webhooks (each one reads the
		// workflow, records an execution…): its own health ping then times out and n8n answers every
		// webhook "503 Database is not ready!" until it recovers (seen in queue mode under load).
		DB_POSTGRESDB_POOL_SIZE: '10',
		N8N_LOG_LEVEL: process.env.N8N_LOG_LEVEL || 'info',
		N8N_LOG_OUTPUT: 'console',
		NO_PROXY: '127.0.0.1,localhost',
		no_proxy: '127.0.0.1,localhost',
	});
	if (db.ssl && db.ssl !== 'disable') {
		env.DB_POSTGRESDB_SSL_ENABLED = 'true';
		env.DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED = db.ssl === 'require' ? 'false' : 'true';
		if (db.sslCa && db.ssl !== 'require') env.DB_POSTGRESDB_SSL_CA = db.sslCa;
	}
	delete env.HTTP_PROXY;
	delete env.HTTPS_PROXY;
	delete env.http_proxy;
	delete env.https_proxy;
	if (node) env.PATH = pathWithNode(node);
	Object.assign(env, extra);
	return env;
}

module.exports = { n8nEnv };
