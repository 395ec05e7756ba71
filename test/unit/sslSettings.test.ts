import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normaliseSettings, readCaSetting, settingsFromEnv } from '../../lib/config';
import { tlsOptions } from '../../lib/db/pool';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\nAAAA\n-----END CERTIFICATE-----\n';

describe('SSL modes', () => {
	it.each([
		['disable', 'disable'],
		['off', 'disable'],
		['require', 'require'],
		['true', 'require'],
		['verify-ca', 'verify-ca'],
		['VERIFY-FULL', 'verify-full'],
	])('%s → %s', (value, mode) => {
		expect(settingsFromEnv({ POSTGRES_HOST_EXTERNAL: 'h', POSTGRES_SSL: value }).ssl).toBe(mode);
	});

	it('rejects an unknown mode, naming the valid ones', () => {
		expect(() => settingsFromEnv({ POSTGRES_HOST_EXTERNAL: 'h', POSTGRES_SSL: 'prefer' })).toThrow(/use disable, require, verify-ca, verify-full/);
	});

	it('gives pg the options of each mode', () => {
		expect(tlsOptions({ ssl: 'disable', sslCa: PEM })).toBe(false);
		expect(tlsOptions({ ssl: 'require', sslCa: PEM })).toEqual({ rejectUnauthorized: false });
		expect(tlsOptions({ ssl: 'verify-full', sslCa: PEM })).toEqual({ rejectUnauthorized: true, ca: PEM });
		expect(tlsOptions({ ssl: 'verify-full', sslCa: '' })).toEqual({ rejectUnauthorized: true });
		const verifyCa = tlsOptions({ ssl: 'verify-ca', sslCa: PEM });
		expect(verifyCa).toMatchObject({ rejectUnauthorized: true, ca: PEM });
		expect(verifyCa && verifyCa.checkServerIdentity?.('other.host', {} as never)).toBeUndefined();
	});
});

describe('CA certificate', () => {
	it('accepts PEM with CRLF or literal \\n line breaks', () => {
		expect(normaliseSettings({ sslCa: PEM.replace(/\n/g, '\r\n') }).sslCa).toBe(PEM);
		expect(normaliseSettings({ sslCa: PEM.trim().replace(/\n/g, '\\n') }).sslCa).toBe(PEM);
		expect(normaliseSettings({}).sslCa).toBe('');
	});

	it('rejects text that is not a PEM certificate', () => {
		expect(() => normaliseSettings({ sslCa: 'MIIBfake' })).toThrow(/Invalid CA certificate: expected PEM text/);
	});

	it('POSTGRES_SSL_CA reads a file, or says which file it could not read', () => {
		const dir = mkdtempSync(join(tmpdir(), 'gcb-ca-'));
		try {
			writeFileSync(join(dir, 'ca.pem'), PEM);
			expect(readCaSetting(join(dir, 'ca.pem'))).toBe(PEM);
			expect(() => readCaSetting(join(dir, 'missing.pem'))).toThrow(/Cannot read the CA certificate file given in POSTGRES_SSL_CA \(.*missing\.pem\): ENOENT/);
			writeFileSync(join(dir, 'key.pem'), 'not a certificate');
			expect(() => readCaSetting(join(dir, 'key.pem'))).toThrow(/POSTGRES_SSL_CA file .*key\.pem: Invalid CA certificate/);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
