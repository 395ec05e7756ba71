import { normaliseSettings, selectHost } from '../../lib/config';
import { describeConnectionError } from '../../lib/db/connectionErrors';

describe('connection error lines', () => {
	it('prints our own user and database names even when they equal the password', () => {
		const s = normaliseSettings({ hostExternal: 'db.example.com', user: 'school', database: 'school', password: 'school' });
		const line = describeConnectionError({ code: '28P01', message: 'password authentication failed for user "school"' }, s, selectHost(s));
		expect(line).toContain('database "school", user "school"');
		expect(line).toContain('password authentication failed for user "school"');
	});

	it("removes the password from the driver's own text", () => {
		const s = normaliseSettings({ hostExternal: 'db.example.com', user: 'bot', password: 'S3cretPass!' });
		const line = describeConnectionError({ message: 'TLS oddity near S3cretPass!\nsecond line' }, s, selectHost(s));
		expect(line).not.toContain('S3cretPass!');
		expect(line).toContain('***');
		expect(line).not.toContain('\n');
	});

	it.each([
		[{ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', message: 'unable to verify the first certificate' }, /not signed by the system's CAs/],
		[{ code: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate' }, /not signed by .*DEPTH_ZERO_SELF_SIGNED_CERT/],
		[{ code: 'SELF_SIGNED_CERT_IN_CHAIN', message: 'self-signed certificate in certificate chain' }, /not signed by/],
		[{ code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: "Hostname/IP does not match certificate's altnames" }, /not issued for "db\.example\.com"/],
		[{ code: 'CERT_HAS_EXPIRED', message: 'certificate has expired' }, /outside its validity dates/],
		[{ message: 'The server does not support SSL connections' }, /does not support SSL connections: set SSL to disable/],
		[{ code: '28000', message: 'no pg_hba.conf entry for host "10.0.0.1", user "bot", database "x", no encryption' }, /without SSL .*set SSL to require/],
		[{ code: '28000', message: 'role "bot" is not permitted to log in' }, /the server refused user "bot"/],
	])('%j → a TLS hint', (err, re) => {
		const s = normaliseSettings({ hostExternal: 'db.example.com', user: 'bot', password: 'pw-secret', ssl: 'verify-full' });
		const line = describeConnectionError(err, s, selectHost(s));
		expect(line).toMatch(re);
		expect(line).not.toContain('\n');
	});
});
