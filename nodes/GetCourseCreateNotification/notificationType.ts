import type { INodePropertyOptions } from 'n8n-workflow';
import { DEFAULT_NOTIFICATION_TYPE } from '../../lib/notify/createNotifications';
import { HOMEWORK_SUBMITTED, NOTIFICATION_TYPES } from '../../lib/notify/types';

/**
 * Notification Type of Create Notification (Recipient: Mentor), as a list with readable names
 * instead of the raw `homework_submitted`. The value is what notifications.type stores and what
 * deduplicates (one notification per event and type). A value from an older workflow that typed
 * its own type into the former text field still works as it is.
 */
export const CUSTOM_TYPE = 'custom';

/** Types the package writes itself (staff alerts, the review clock): a custom type must not take one. */
export const RESERVED_TYPES: readonly string[] = NOTIFICATION_TYPES.filter((t) => t !== HOMEWORK_SUBMITTED);

export const NOTIFICATION_TYPE_OPTIONS: INodePropertyOptions[] = [
	{
		name: 'Custom Type',
		value: CUSTOM_TYPE,
		description: 'A notification of your own for the same events (e.g. a second template): one per event, beside Homework Submitted',
	},
	{
		name: 'Homework Submitted',
		value: DEFAULT_NOTIFICATION_TYPE,
		description: 'The mentor hears of a new answer, a resubmission or a comment (stored as homework_submitted)',
	},
];

export function notificationTypeOf(selected: string, custom: string): string {
	const type = (selected === CUSTOM_TYPE ? custom : selected).trim();
	if (!type) throw new Error(selected === CUSTOM_TYPE ? 'Custom Type Name must not be empty' : 'Notification Type must not be empty');
	if (selected === CUSTOM_TYPE) {
		if (!/^[A-Za-z0-9_]{1,50}$/.test(type)) throw new Error(`Custom Type Name "${type.slice(0, 60)}": use 1-50 letters, digits or underscores`);
		if (RESERVED_TYPES.includes(type)) throw new Error(`Custom Type Name "${type}" is a type the package writes itself: choose another name`);
	}
	return type;
}
