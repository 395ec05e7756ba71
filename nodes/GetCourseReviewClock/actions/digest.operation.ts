import type { INodeProperties } from 'n8n-workflow';
import { DEFAULT_DIGEST_HOUR, DEFAULT_DIGEST_SIZE, queueDigests } from '../../../lib/review/digest';
import { readLessonLink } from '../../shared/lessonLink';
import { readTimeZone } from '../../shared/timeZone';
import { show, type ReviewOperation } from './common';

const digest = show('digest');

const properties: INodeProperties[] = [
	{
		displayName: 'Digest Hour',
		name: 'digestHour',
		type: 'number',
		default: DEFAULT_DIGEST_HOUR,
		typeOptions: { minValue: 0, maxValue: 23 },
		hint: "School time. The first run at or after it sends the day's digests; later runs that day send none.",
		description: 'Hour from which each mentor gets the day’s list of answers waiting for them (one a day, none when nothing waits)',
		displayOptions: digest,
	},
	{
		displayName: 'Reviews per Digest',
		name: 'digestSize',
		type: 'number',
		default: DEFAULT_DIGEST_SIZE,
		typeOptions: { minValue: 1, maxValue: 100 },
		description: 'The oldest ones are listed; the message says how many more wait',
		displayOptions: digest,
	},
];

/** Each mentor's open reviews, oldest first, once per school day. */
export const digestOperation: ReviewOperation = {
	properties,
	async execute(ctx, db) {
		const hour = Number(ctx.getNodeParameter('digestHour', 0, DEFAULT_DIGEST_HOUR));
		const size = Number(ctx.getNodeParameter('digestSize', 0, DEFAULT_DIGEST_SIZE));
		if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new Error(`Digest Hour must be a whole hour 0–23, got ${hour}`);
		if (!Number.isInteger(size) || size < 1 || size > 100) throw new Error(`Reviews per Digest must be 1–100, got ${size}`);
		const r = await queueDigests(db.pool, { timeZone: readTimeZone(ctx), hour, perMentor: size, link: readLessonLink(ctx) });
		return { json: { ...r }, counts: { mentors: r.mentors, digests: r.created } };
	},
};
