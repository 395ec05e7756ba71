import type { ICredentialDataDecryptedObject, IExecuteFunctions, IWebhookFunctions } from 'n8n-workflow';

/**
 * n8n reads and decrypts a credential on every getCredentials call (several database lookups:
 * measured 10–80 ms each on 2 cores), and a webhook or execution of the pipeline needs two to
 * four. The decrypted data is kept per credential id for a few seconds, so an edited credential
 * applies within that time; the cache lives in this process only (like the connection pools).
 */
const TTL_MS = 15_000;
const cache = new Map<string, { at: number; data: ICredentialDataDecryptedObject }>();

export async function credentialsOf(ctx: IExecuteFunctions | IWebhookFunctions, type: string): Promise<ICredentialDataDecryptedObject> {
	const id = ctx.getNode().credentials?.[type]?.id;
	const key = id ? `${type}\u0000${id}` : null;
	const now = Date.now();
	const hit = key ? cache.get(key) : undefined;
	if (hit && now - hit.at < TTL_MS) return hit.data;
	const data = await ctx.getCredentials(type);
	if (key) cache.set(key, { at: now, data });
	return data;
}
