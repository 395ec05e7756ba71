import { execFileSync } from 'node:child_process';
import { chownSync, chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Certificates made with the `openssl` command line for one test run: a CA, a server certificate
 * it signs for the given names, and a second, unrelated CA (the "wrong" one). EC P-256 keys, valid
 * for two days. When the tests run as root, PostgreSQL runs as the `postgres` user, so the server
 * key is given to that user (PostgreSQL refuses a key others can read: mode 0600).
 */
export interface ThrowawayPki {
	dir: string;
	caPem: string;
	caFile: string;
	otherCaPem: string;
	serverCert: string;
	serverKey: string;
}

function openssl(args: string[], cwd: string): void {
	execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string, cn: string): void {
	openssl(
		[
			'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
			'-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`,
			'-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
		],
		dir,
	);
}

/** postgresIds: the uid/gid PostgreSQL runs as, when it differs from ours (we run as root). */
export function makeThrowawayPki(dir: string, serverNames: string[], postgresIds?: { uid: number; gid: number }): ThrowawayPki {
	makeCa(dir, 'ca', 'GetCourse Bot throwaway test CA');
	makeCa(dir, 'other-ca', 'Some other CA');
	openssl(
		['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${serverNames[0]}`],
		dir,
	);
	const san = serverNames.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
	writeFileSync(
		join(dir, 'server.ext'),
		`subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`,
	);
	openssl(
		['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext'],
		dir,
	);
	const serverKey = join(dir, 'server.key');
	chmodSync(serverKey, 0o600);
	if (postgresIds) {
		chownSync(serverKey, postgresIds.uid, postgresIds.gid);
		chownSync(join(dir, 'server.crt'), postgresIds.uid, postgresIds.gid);
	}
	return {
		dir,
		caFile: join(dir, 'ca.crt'),
		caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
		otherCaPem: readFileSync(join(dir, 'other-ca.crt'), 'utf8'),
		serverCert: join(dir, 'server.crt'),
		serverKey,
	};
}

/** uid/gid of the `postgres` user when we run as root (embedded PostgreSQL then runs as that user). */
export function postgresIdsIfRoot(): { uid: number; gid: number } | undefined {
	if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
	const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
	return { uid: id('-u'), gid: id('-g') };
}
