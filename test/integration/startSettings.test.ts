/**
 * `npm start` reads PostgreSQL settings with the package's own config (dist/lib/config.js) and
 * hands SSL mode and CA on to the CLI, the imported credential and n8n's own database connection.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { settingsFromEnv } from '../../lib/config';
/* eslint-disable @typescript-eslint/no-require-imports */
const { choosePostgres, cliEnv } = require('../../scripts/start/database');
const { n8nEnv } = require('../../scripts/n8n/env');
/* eslint-enable @typescript-eslint/no-require-imports */

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfakeCA\n-----END CERTIFICATE-----\n';
let dir: string;

beforeAll(() => {
	if (!existsSync(join(__dirname, '../../dist/lib/config.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
	dir = mkdtempSync(join(tmpdir(), 'gcb-start-settings-'));
	writeFileSync(join(dir, 'ca.pem'), PEM);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (over: Record<string, string>) => ({
	POSTGRES_HOST_EXTERNAL: 'db.example.com',
	POSTGRES_HOST_INTERNAL: 'postgres-rw.internal',
	POSTGRES_USER: 'bot',
	POSTGRES_PASSWORD: 'pw-not-real',
	POSTGRES_DB: 'GetCourseBD',
	...over,
});

test.each([
	['dev', 'verify-full', 'db.example.com'],
	['prod', 'verify-ca', 'postgres-rw.internal'],
])('SERVER_ENV=%s, POSTGRES_SSL=%s with POSTGRES_SSL_CA as a file: host, mode and CA reach every consumer', async (serverEnv, ssl, host) => {
	const lines: string[] = [];
	const pg = await choosePostgres({ dataDir: dir, embeddedPort: 1, say: (m: string) => lines.push(m), env: env({ SERVER_ENV: serverEnv, POSTGRES_SSL: ssl, POSTGRES_SSL_CA: join(dir, 'ca.pem') }) });
	expect(pg.embedded).toBeNull();
	expect(pg.settings).toMatchObject({ ssl, sslCa: PEM, environment: serverEnv });
	expect(pg.server).toMatchObject({ host, ssl, sslCa: PEM });
	expect(lines.join('\n')).toContain(`SSL ${ssl}, CA from POSTGRES_SSL_CA`);
	expect(lines.join('\n')).not.toContain('pw-not-real');
	// the CLI gets the same settings back from its environment
	expect(settingsFromEnv(cliEnv(pg.settings))).toEqual(pg.settings);
	// n8n's own database connection
	const e = n8nEnv({ userFolder: dir, dbName: 'n8n', encryptionKey: 'k', db: pg.server });
	expect(e).toMatchObject({ DB_POSTGRESDB_HOST: host, DB_POSTGRESDB_SSL_ENABLED: 'true', DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED: 'true', DB_POSTGRESDB_SSL_CA: PEM });
});

test('require encrypts n8n\'s connection without verifying; disable leaves SSL off', () => {
	const base = { userFolder: dir, dbName: 'n8n', encryptionKey: 'k' };
	expect(n8nEnv({ ...base, db: { host: 'h', ssl: 'require', sslCa: PEM } })).toMatchObject({ DB_POSTGRESDB_SSL_ENABLED: 'true', DB_POSTGRESDB_SSL_REJECT_UNAUTHORIZED: 'false' });
	expect(n8nEnv({ ...base, db: { host: 'h', ssl: 'require', sslCa: PEM } }).DB_POSTGRESDB_SSL_CA).toBeUndefined();
	expect(n8nEnv({ ...base, db: { host: 'h', ssl: 'disable' } }).DB_POSTGRESDB_SSL_ENABLED).toBeUndefined();
});

test('an unknown POSTGRES_SSL stops npm start with the valid modes named', async () => {
	await expect(choosePostgres({ dataDir: dir, embeddedPort: 1, say: () => undefined, env: env({ POSTGRES_SSL: 'verify' }) })).rejects.toThrow(/use disable, require, verify-ca, verify-full/);
});
