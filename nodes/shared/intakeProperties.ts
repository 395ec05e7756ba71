import type { INodeProperties } from 'n8n-workflow';
import { DEFAULT_FIELDS, type FieldMap } from '../../lib/payload/fields';

/** Parameters shared by GetCourse Trigger and GetCourse Store Event (the same lib code behind). */

const fieldOptions: Array<{ name: keyof FieldMap; label: string }> = [
	{ name: 'userId', label: 'User ID Parameter' },
	{ name: 'userEmail', label: 'User Email Parameter' },
	{ name: 'answerId', label: 'Answer ID Parameter' },
	{ name: 'status', label: 'Answer Status Parameter' },
	{ name: 'text', label: 'Answer Text Parameter' },
	{ name: 'trainingId', label: 'Training ID Parameter' },
	{ name: 'lessonId', label: 'Lesson ID Parameter' },
	{ name: 'eventDate', label: 'Event Date Parameter' },
	{ name: 'lessonName', label: 'Lesson Name Parameter' },
	{ name: 'trainingName', label: 'Training Name Parameter' },
	{ name: 'commentId', label: 'Comment ID Parameter' },
	{ name: 'commentText', label: 'Comment Text Parameter' },
	{ name: 'commentAuthorId', label: 'Comment Author ID Parameter' },
];

export const GETCOURSE_STATUSES = ['new', 'accepted', 'declined', 'viewed'];

export const notifyStatusesProperty: INodeProperties = {
	displayName: 'Notify On Statuses',
	name: 'notifyStatuses',
	type: 'multiOptions',
	options: [
		{ name: 'New (Handed in or Handed in Again)', value: 'new' },
		{ name: 'Accepted', value: 'accepted' },
		{ name: 'Declined', value: 'declined' },
		{ name: 'Viewed', value: 'viewed' },
	],
	default: ['new'],
	description: 'Answer statuses that notify the mentor; answers with other statuses are stored as already processed',
};

export const notifyCommentsProperty: INodeProperties = {
	displayName: 'Notify On Comments',
	name: 'notifyComments',
	type: 'boolean',
	default: true,
	description: 'Whether a comment on an answer (each comment is its own event) notifies the mentor',
};

/** Shown above the names: a collection's own hint does not show in the editor. */
export const fieldsNoticeProperty: INodeProperties = {
	displayName:
		'Query Parameter Names are only for a GetCourse process "Вызвать URL": the names you typed before each {object.…} placeholder in its address (for example user_email={object.user.email}). Tech API events need none.',
	name: 'fieldsNotice',
	type: 'notice',
	default: '',
};

export const fieldsProperty: INodeProperties = {
	displayName: 'Query Parameter Names',
	name: 'fields',
	type: 'collection',
	placeholder: 'Add Parameter Name',
	default: {},
	description: 'Defaults: ' + Object.values(DEFAULT_FIELDS).join(', '),
	options: fieldOptions.map((f) => ({
		displayName: f.label,
		name: f.name,
		type: 'string' as const,
		default: DEFAULT_FIELDS[f.name],
		description: `Name of the query (or form) parameter carrying this value in the "Вызвать URL" address, e.g. ${DEFAULT_FIELDS[f.name]}={object.…}`,
	})),
};

/** The statuses option: a list (multiOptions), or a comma-separated text in workflows made before it was one. */
export function parseNotifyStatuses(raw: unknown): string[] {
	const list = Array.isArray(raw) ? raw.map(String) : String(raw ?? '').split(',');
	const statuses = list.map((s) => s.trim().toLowerCase()).filter(Boolean);
	if (!statuses.length) throw new Error('Notify On Statuses is empty: choose at least one status (usually New)');
	return statuses;
}
