import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunctions,
	ICredentialsDecrypted,
	IExecuteFunctions,
	INodeCredentialTestResult,
	IWebhookFunctions,
} from 'n8n-workflow';
import { normaliseSettings, type PgSettings } from '../../lib/config';
import { getDb, type Db } from '../../lib/db/pool';
import { checkSetup } from '../../lib/db/setupCheck';
import { credentialsOf } from './credentialCache';
import { testWebhookSecret } from './webhookSecret';

export const POSTGRES_CREDENTIAL = 'getCourseBotPostgres';
export const TELEGRAM_CREDENTIAL = 'getCourseBotTelegramApi';

export function settingsFromCredential(data: ICredentialDataDecryptedObject): PgSettings {
	return normaliseSettings(data as Record<string, unknown>);
}

/** The pooled connection for this node's credential (one pool per credential, reused across runs). */
export async function dbFor(ctx: IExecuteFunctions | IWebhookFunctions): Promise<Db> {
	const data = await credentialsOf(ctx, POSTGRES_CREDENTIAL);
	return getDb(settingsFromCredential(data));
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

