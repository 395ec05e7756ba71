'use strict';
/**
 * PostgreSQL for n8n's own database and set-up steps (pg from this repository's node_modules).
 * A server is { host, port, user, password, ssl?, sslCa? } with the package's SSL modes
 * (disable, require, verify-ca, verify-full; see lib/db/pool.ts tlsOptions).
 */
const { distLib } = require('./paths');

function clientConfig(db = {}, database = 'postgres') {
	return {
		host: db.host || '127.0.0.1',
		port: Number(db.port || 5432),
		user: db.user || 'postgres',
		password: db.password || undefined,
		database,
		ssl: db.ssl && db.ssl !== 'disable' ? distLib('db/pool.js').tlsOptions({ ssl: db.ssl, sslCa: db.sslCa || '' }) : false,
		connectionTimeoutMillis: 10000,
	};
}

/** The package's own identifier check and quoting (dist/lib/identifiers.js). */
function quoteIdentifier(name) {
	return distLib('identifiers.js').quoteIdentifier(name, 'identifier');
}

async function withPg(db, database, fn) {
	const { Client } = require('pg');
	const client = new Client(clientConfig(db, database));
	await client.connect();
	try {
		return await fn(client);
	} finally {
		await client.end().catch(() => {});
	}
}

async function createDatabase(name, db = {}) {
	await withPg(db, 'postgres', async (client) => {
		const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
		if (!rowCount) await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
	});
}

async function dropDatabase(name, db = {}) {
	await withPg(db, 'postgres', async (client) => {
		await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
	});
}

module.exports = { withPg, createDatabase, dropDatabase, quoteIdentifier };
