import { retryBacklog } from '../../db/backlog';
import { normaliseEmail } from '../../email';
import { retryFailedSends } from '../../notify/retryFailed';
import { retryUnresolved } from '../../resolve/retry';
import { UsageError } from '../args';
import type { Command } from '../context';

export const retry: Command = {
	usage: `retry [--event ID]    put unresolved events (no student, mapping or telegram_id; waiting or given up) back
                       in the queue at once, after the reference data was fixed; --event ID: one event (also an
                       adopted backlog event)
  retry --backlog      put the backlog adopted by init (old waiting events, skip_reason backlog) back in the
                       queue: their mentors will be messaged
  retry --failed [--mentor EMAIL]
                       put notifications Telegram refused (403, 400) back to pending, addressed to the mentor's
                       telegram_id valid now (after the mentor pressed Start or the telegram_id was corrected)`,
	spec: {
		flags: {
			'--event': { value: 'text', what: 'a webhook_events id' },
			'--backlog': { value: 'none' },
			'--failed': { value: 'none' },
			'--mentor': { value: 'text', what: "a mentor's email" },
		},
	},
	async run({ args, db }) {
		const eventId = args.text('--event');
		if (eventId !== undefined && !/^\d{1,18}$/.test(eventId)) throw new UsageError(`--event needs a webhook_events id, got ${JSON.stringify(eventId)}`);
		const failed = args.has('--failed');
		const backlog = args.has('--backlog');
		const mentor = args.text('--mentor');
		if (mentor !== undefined && !failed) throw new UsageError('--mentor goes with --failed');
		if (eventId !== undefined && (failed || backlog)) throw new UsageError('--event goes alone (one unresolved or backlog event)');
		const mentorEmail = mentor === undefined ? undefined : normaliseEmail(mentor);
		if (mentorEmail === null) throw new UsageError(`--mentor needs a mentor's email, got ${JSON.stringify(mentor)}`);

		if (failed || backlog) {
			if (failed) {
				const r = await retryFailedSends(db.pool, { mentorEmail });
				const who = mentorEmail ? ` of mentor ${mentorEmail}` : '';
				if (!r.requeued.length && !r.skipped.length) console.log(`No failed notifications${who}: nothing to retry.`);
				if (r.requeued.length) {
					console.log(`Re-queued ${r.requeued.length} failed notification(s)${who}: ${r.requeued.map((x) => `${x.id} → chat ${x.chatId}`).join(', ')}. The next Send Pending run sends them.`);
				}
				for (const s of r.skipped) console.log(`  left failed: notification ${s.id}: ${s.reason}`);
			}
			if (backlog) {
				const r = await retryBacklog(db.pool);
				console.log(
					r.requeued.length
						? `Re-queued ${r.requeued.length} backlog event(s): ${r.requeued.join(', ')}. The next Resolve Mentor run (or the schedule) messages their mentors.`
						: 'No backlog events: nothing to retry.',
				);
			}
			return 0;
		}
		const r = await retryUnresolved(db.pool, eventId);
		if (!r.requeued.length && eventId) r.requeued.push(...(await retryBacklog(db.pool, eventId)).requeued);
		if (!r.requeued.length) {
			console.log(eventId ? `Event ${eventId} is neither an unresolved nor a backlog event: nothing to retry.` : 'No unresolved events: nothing to retry.');
			return eventId ? 1 : 0;
		}
		console.log(`Re-queued ${r.requeued.length} event(s): ${r.requeued.join(', ')}. The next Resolve Mentor run (or the schedule) picks them up.`);
		return 0;
	},
};
