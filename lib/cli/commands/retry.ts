import { retryUnresolved } from '../../resolve/retry';
import { stringFlag, type Command } from '../context';

export const retry: Command = {
	usage: `retry [--event ID]    put unresolved events (no student, mapping or telegram_id; waiting or given up) back
                       in the queue at once, after the reference data was fixed; one event with --event`,
	async run({ args, db }) {
		const eventId = stringFlag(args, '--event');
		if (eventId !== undefined && !/^\d{1,18}$/.test(eventId)) throw new Error(`--event needs a webhook_events id, got ${JSON.stringify(eventId)}`);
		const r = await retryUnresolved(db.pool, eventId);
		if (!r.requeued.length) {
			console.log(eventId ? `Event ${eventId} is not an unresolved event: nothing to retry.` : 'No unresolved events: nothing to retry.');
			return eventId ? 1 : 0;
		}
		console.log(`Re-queued ${r.requeued.length} event(s): ${r.requeued.join(', ')}. The next Resolve Mentor run (or the schedule) picks them up.`);
		return 0;
	},
};
