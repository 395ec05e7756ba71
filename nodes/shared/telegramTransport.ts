import type { IExecuteFunctions } from 'n8n-workflow';
import { transportError, type PostJson } from '../../lib/telegram/transport';

/** Telegram requests through n8n's own HTTP helper, so n8n's proxy and network settings apply. */
export function n8nPostJson(ctx: IExecuteFunctions): PostJson {
	return async (url, body, timeoutMs) => {
		try {
			const r = (await ctx.helpers.httpRequest({
				method: 'POST',
				url,
				body,
				json: true,
				timeout: timeoutMs,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
			})) as { statusCode: number; body: unknown; headers?: Record<string, string | undefined> };
			return { status: r.statusCode, body: r.body, headers: { 'retry-after': r.headers?.['retry-after'] } };
		} catch (err) {
			// Never rethrow the helper's error: its config holds the URL, and the URL holds the token.
			throw transportError(err, timeoutMs);
		}
	};
}
