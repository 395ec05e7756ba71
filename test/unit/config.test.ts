import { normaliseSettings, parseDotEnv, selectHost, settingsFromEnv } from '../../lib/config';
import { quoteIdentifier, validateIdentifier } from '../../lib/identifiers';
import { describeConnectionError } from '../../lib/db/connectionErrors';

describe('host selection', () => {
	const both = { hostExternal: 'ext.example.com', hostInternal: 'int.cluster' };

	it('dev uses the external host and says why', () => {
		expect(selectHost({ ...both, environment: 'dev' })).toEqual({
			host: 'ext.example.com',
			reason: 'environment is dev, so the external host is used',
		});
	});

	it('prod uses the internal host', () => {
		expect(selectHost({ ...both, environment: 'prod' }).host).toBe('int.cluster');
	});

	it('falls back to the other host and says so', () => {
		const c = selectHost({ hostExternal: '', hostInternal: 'int.cluster', environment: 'dev' });
		expect(c.host).toBe('int.cluster');
		expect(c.reason).toMatch(/no external host/);
	});

	it('refuses when no host is set', () => {
		expect(() => selectHost({ hostExternal: ' ', hostInternal: '', environment: 'prod' })).toThrow(/No PostgreSQL host/);
	});
});

describe('settings from the seed variables', () => {
	it('reads every variable', () => {
		const s = settingsFromEnv({
			POSTGRES_HOST_EXTERNAL: 'ext',
			POSTGRES_HOST_INTERNAL: 'int',
			SERVER_ENV: 'prod',
			POSTGRES_PORT: '6543',
			POSTGRES_USER: 'postresql',
			POSTGRES_PASSWORD: 'pw',
			POSTGRES_DB: 'GetCourseBD',
			POSTGRES_SCHEMA: 'bot',
		});
		expect(s).toMatchObject({ hostExternal: 'ext', hostInternal: 'int', environment: 'prod', port: 6543, user: 'postresql', database: 'GetCourseBD', schema: 'bot', connectionTimeout: 60 });
	});

	it('defaults: dev, port 5432, schema public, 60 s', () => {
		const s = settingsFromEnv({ POSTGRES_HOST_EXTERNAL: 'h' });
		expect(s).toMatchObject({ environment: 'dev', port: 5432, schema: 'public', connectionTimeout: 60 });
	});

	it.each([
		[{ SERVER_ENV: 'staging' }, /SERVER_ENV/],
		[{ POSTGRES_PORT: 'abc' }, /port/],
		[{ POSTGRES_PORT: '70000' }, /port/],
		[{ POSTGRES_SCHEMA: 'public; DROP TABLE x' }, /Invalid schema name/],
	])('rejects %j with a clear message', (env, msg) => {
		expect(() => settingsFromEnv({ POSTGRES_HOST_EXTERNAL: 'h', ...env })).toThrow(msg);
	});
});

describe('identifiers', () => {
	it.each(['public', 'bot_2', '_x', 'GetCourse'])('accepts %s', (n) => expect(validateIdentifier(n)).toBe(n));
	it.each(['', '1abc', 'a-b', 'a"b', 'x'.repeat(64), 'a b', 'пример'])('rejects %j', (n) => {
		expect(() => validateIdentifier(n)).toThrow(/Invalid schema name/);
	});
	it('quotes', () => expect(quoteIdentifier('bot')).toBe('"bot"'));
});

describe('.env parsing', () => {
	it('reads keys, quotes and comments', () => {
		expect(parseDotEnv('# c\nA=1\nexport B="two words"\nC=x # note\nbad line\nD=\'q\'')).toEqual({ A: '1', B: 'two words', C: 'x', D: 'q' });
	});
});

describe('connection errors', () => {
	const s = normaliseSettings({ hostExternal: 'db.example.com', password: 'S3cretPass!', user: 'bot', database: 'GetCourseBD' });
	const choice = selectHost(s);
	it.each([
		[{ code: 'ECONNREFUSED' }, /connection refused/],
		[{ code: 'ENOTFOUND' }, /host name not found/],
		[{ code: '28P01', message: 'password authentication failed' }, /password authentication failed for user "bot"/],
		[{ code: '3D000' }, /database "GetCourseBD" does not exist/],
		[{ message: 'timeout expired' }, /no answer within 60 s/],
	])('%j → one line naming host, reason and cause', (err, re) => {
		const line = describeConnectionError(err, s, choice);
		expect(line).toMatch(re);
		expect(line).toContain('db.example.com:5432 (environment is dev, so the external host is used)');
		expect(line).not.toContain('\n');
	});
	it('never prints the password, even when the driver echoes it', () => {
		const line = describeConnectionError({ message: 'weird failure with S3cretPass! inside' }, s, choice);
		expect(line).not.toContain('S3cretPass!');
	});
});
