import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { webhookSecret } = require('../../scripts/start/secrets') as {
	webhookSecret(dir: string, env: Record<string, string | undefined>): { value: string; source: string };
};

describe("npm start's webhook secret", () => {
	let dir: string;
	beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gcb-secret-'))));
	afterEach(() => rmSync(dir, { recursive: true, force: true }));

	it('is generated once into <data>/webhook-secret (mode 0600) and reused on restart', () => {
		const first = webhookSecret(dir, {});
		expect(first.value).toMatch(/^[A-Za-z0-9_-]{32}$/);
		expect(first.source).toMatch(/^generated into /);
		expect(statSync(join(dir, 'webhook-secret')).mode & 0o777).toBe(0o600);
		const again = webhookSecret(dir, {});
		expect(again).toEqual({ value: first.value, source: expect.stringMatching(/^kept in /) });
	});

	it('GETCOURSE_SHARED_SECRET wins and writes nothing', () => {
		expect(webhookSecret(dir, { GETCOURSE_SHARED_SECRET: ' from-env ' })).toEqual({ value: 'from-env', source: 'GETCOURSE_SHARED_SECRET' });
		expect(() => statSync(join(dir, 'webhook-secret'))).toThrow();
	});

	it('tightens a kept file readable by others', () => {
		writeFileSync(join(dir, 'webhook-secret'), 'kept-value\n', { mode: 0o644 });
		expect(webhookSecret(dir, {}).value).toBe('kept-value');
		expect(statSync(join(dir, 'webhook-secret')).mode & 0o777).toBe(0o600);
		expect(readFileSync(join(dir, 'webhook-secret'), 'utf8')).toBe('kept-value\n');
	});
});
