import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	IExecuteFunctions,
	INodeCredentialTestResult,
} from 'n8n-workflow';
import { normaliseSettings, type PgSettings } from '../../lib/config';
import { getDb, testConnection, type Db } from '../../lib/db/pool';

export const POSTGRES_CREDENTIAL = 'getCourseBotPostgres';
export const TELEGRAM_CREDENTIAL = 'getCourseBotTelegramApi';

export function settingsFromCredential(data: ICredentialDataDecryptedObject): PgSettings {
	return normaliseSettings(data as Record<string, unknown>);
}

/** The pooled connection for this node's credential (one pool per credential, reused across runs). */
export async function dbFor(ctx: IExecuteFunctions): Promise<Db> {
	const data = await ctx.getCredentials(POSTGRES_CREDENTIAL);
	return getDb(settingsFromCredential(data));
}

/** Test button of the credential dialog: connects, reports the server version and the schema. */
export async function testPostgresCredential(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const settings = settingsFromCredential(credential.data ?? {});
		const info = await testConnection(settings);
		return {
			status: 'OK',
			message: info.schemaExists
				? `Connected to PostgreSQL ${info.version} at ${info.host.host} (${info.host.reason})`
				: `Connected to ${info.host.host}, but schema "${settings.schema}" does not exist yet: run "getcourse-bot init"`,
		};
	} catch (err) {
		return { status: 'Error', message: (err as Error).message };
	}
}

export const credentialTestMethods = { credentialTest: { getCourseBotPostgresTest: testPostgresCredential } };

