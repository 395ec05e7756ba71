import type { PgSettings } from '../config';
import { inspectSchema } from './migrate';
import { withTestClient } from './pool';

export interface SetupCheck {
	ok: boolean;
	message: string;
}

const FIX = 'run GetCourse Maintenance → Set Up Database in n8n, or "getcourse-bot init"';

/**
 * What the credential dialog's Test button says: which host and why, the server version, and
 * whether the schema is there and at the latest migration. Missing or out of date is a failure
 * (the nodes would fail on the first event), with the fix named.
 */
export async function checkSetup(s: PgSettings): Promise<SetupCheck> {
	return withTestClient(s, async (c, host) => {
		const state = await inspectSchema(c, s.schema);
		const where = `PostgreSQL ${state.serverVersion} at ${host.host} (${host.reason})`;
		if (!state.schemaExists) return { ok: false, message: `Connected to ${where}, but schema "${s.schema}" does not exist: ${FIX}` };
		if (state.pending.length) {
			const what = state.current === 0 ? 'has no GetCourse Bot tables yet' : `is at version ${state.current} of ${state.latest}`;
			return { ok: false, message: `Connected to ${where}, but schema "${s.schema}" ${what}: ${FIX}` };
		}
		return { ok: true, message: `Connected to ${where}; schema "${s.schema}" is at the latest version (${state.latest})` };
	});
}
