'use strict';
/**
 * The PostgreSQL `npm start` uses: the one the POSTGRES_* variables describe (read with the
 * package's own config, dist/lib/config.js: host by SERVER_ENV, SSL mode, CA), else an embedded
 * one with its data in <data>/pg, in a process group of its own (Ctrl-C reaches only start.js).
 */
const path = require('node:path');
const { distLib } = require('../n8n/paths');
const { startEmbeddedPostgres } = require('../embedded-pg');

const EMBEDDED_DATABASE = 'getcourse_bot';

/** Returns { settings (PgSettings), server ({host, port, user, password, ssl, sslCa}), embedded (or null) }. */
async function choosePostgres({ dataDir, embeddedPort, say, env = process.env }) {
	const { settingsFromEnv, normaliseSettings, selectHost } = distLib('config.js');
	let settings;
	let embedded = null;
	if (env.POSTGRES_HOST_EXTERNAL || env.POSTGRES_HOST_INTERNAL || env.POSTGRES_HOST) {
		settings = settingsFromEnv(env);
		const { host, reason } = selectHost(settings);
		const tls = settings.ssl === 'disable' ? 'SSL off' : `SSL ${settings.ssl}${settings.sslCa ? ', CA from POSTGRES_SSL_CA' : ''}`;
		say(`PostgreSQL from the environment: ${settings.user}@${host}:${settings.port}/${settings.database} schema ${settings.schema} (${reason}; ${tls})`);
	} else {
		const t = Date.now();
		embedded = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port: embeddedPort, detached: true });
		settings = normaliseSettings({
			hostExternal: '127.0.0.1',
			hostInternal: '127.0.0.1',
			environment: 'dev',
			port: embedded.port,
			user: embedded.user,
			password: embedded.password,
			database: EMBEDDED_DATABASE,
			schema: 'public',
			ssl: 'disable',
		});
		say(
			`embedded PostgreSQL ${embedded.fresh ? '(new, ' : '('}data in ${path.join(dataDir, 'pg')}) on 127.0.0.1:${embedded.port}, PID ${embedded.pid}, up in ${((Date.now() - t) / 1000).toFixed(1)} s`,
		);
	}
	const { host } = selectHost(settings);
	const server = { host, port: settings.port, user: settings.user, password: settings.password, ssl: settings.ssl, sslCa: settings.sslCa };
	return { settings, server, embedded };
}

/** The POSTGRES_* variables of these settings, for `getcourse-bot` (the CLI reads the same names). */
function cliEnv(settings) {
	return {
		POSTGRES_HOST_EXTERNAL: settings.hostExternal,
		POSTGRES_HOST_INTERNAL: settings.hostInternal,
		SERVER_ENV: settings.environment,
		POSTGRES_PORT: String(settings.port),
		POSTGRES_USER: settings.user,
		POSTGRES_PASSWORD: settings.password,
		POSTGRES_DB: settings.database,
		POSTGRES_SCHEMA: settings.schema,
		POSTGRES_SSL: settings.ssl,
		POSTGRES_SSL_CA: settings.sslCa,
		POSTGRES_CONNECT_TIMEOUT: String(settings.connectionTimeout),
	};
}

module.exports = { choosePostgres, cliEnv };
