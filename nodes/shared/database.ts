import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	IExecuteFunctions,
	INodeCredentialTestResult,
	IWebhookFunctions,
} from 'n8n-workflow';
import { normaliseSettings, type PgSettings } from '../../lib/config';
import { getIntakeDb, type IntakeLimits } from '../../lib/db/intakeDb';
import { getDb, withClient, type Db } from '../../lib/db/pool';
import { assertSchemaCurrent, schemaCheckDue } from '../../lib/db/schemaGate';
import { checkSetup } from '../../lib/db/setupCheck';
import { credentialsOf } from './credentialCache';
import { testWebhookSecret } from './webhookSecret';

export const POSTGRES_CREDENTIAL = 'getCourseBotPostgres';
export const TELEGRAM_CREDENTIAL = 'getCourseBotTelegramApi';

export function settingsFromCredential(data: ICredentialDataDecryptedObject): PgSettings {
	return normaliseSettings(data as Record<string, unknown>);
}

/**
 * The pooled connection for this node's credential (one pool per credential, reused across runs).
 * The schema must be at the package's version (checked once, then cached: lib/db/schemaGate.ts),
 * or the node fails with "run … Set Up Database or getcourse-bot init" instead of a raw "column
 * … does not exist"; only Set Up Database itself opts out.
 */
export async function dbFor(ctx: IExecuteFunctions | IWebhookFunctions, { schema = 'current' }: { schema?: 'current' | 'any' } = {}): Promise<Db> {
	const data = await credentialsOf(ctx, POSTGRES_CREDENTIAL);
	const db = getDb(settingsFromCredential(data));
	// through connect(): a connection failure reads as describeConnectionError has it (host, why, what to check)
	if (schema === 'current' && schemaCheckDue(db)) await withClient(db, (c) => assertSchemaCurrent(c, db));
	return db;
}

/** The intake pool of this node's credential: its own connections and timeouts (lib/db/intakeDb.ts). */
export async function intakeDbFor(ctx: IExecuteFunctions | IWebhookFunctions, limits: IntakeLimits): Promise<Db> {
	return getIntakeDb(settingsFromCredential(await credentialsOf(ctx, POSTGRES_CREDENTIAL)), limits);
}

/** Test button of the credential dialog: host and why, server version, schema at the latest version. */
export async function testPostgresCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const r = await checkSetup(settingsFromCredential(credential.data ?? {}));
		return { status: r.ok ? 'OK' : 'Error', message: r.message };
	} catch (err) {
		return { status: 'Error', message: (err as Error).message };
	}
}

/** Every node offers both tests, whichever credentials it uses. */
export const credentialTestMethods = {
	credentialTest: { getCourseBotPostgresTest: testPostgresCredential, getCourseWebhookSecretTest: testWebhookSecret },
};

