import type { ICredentialTestFunctions, ICredentialsDecrypted, INodeCredentialTestResult } from 'n8n-workflow';

const MIN_SECRET_LENGTH = 16;

/** The credential dialog's Test button for the webhook secret: long enough to resist guessing, fit for a URL. */
export async function testWebhookSecret(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const secret = String(credential.data?.secret ?? '');
	if (secret.length < MIN_SECRET_LENGTH) {
		return { status: 'Error', message: `The secret has ${secret.length} characters: use at least ${MIN_SECRET_LENGTH} random ones` };
	}
	if (!/^[A-Za-z0-9_.~-]+$/.test(secret)) {
		return { status: 'Error', message: 'The secret goes into a URL: use letters, digits, "-", "_", "." and "~" only' };
	}
	return { status: 'OK', message: `The secret is set (${secret.length} characters)` };
}
