import type { IDisplayOptions, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { checkLinkTemplate, checkSchoolAddress } from '../../lib/review/links';
import { DEFAULT_LINK_TEMPLATE, type LinkSettings } from '../../lib/review/settings';

/** School Address + Lesson Link: the «Открыть урок» button of Create Notification and Review Clock. */
export const lessonLinkProperties = (displayOptions: IDisplayOptions): INodeProperties[] => [
	{
		displayName: 'School Address',
		name: 'schoolAddress',
		type: 'string',
		default: '',
		placeholder: 'https://school.getcourse.ru',
		hint: 'Adds an «Открыть урок» button to each message. Empty: no button.',
		displayOptions,
	},
	{
		displayName: 'Lesson Link',
		name: 'linkTemplate',
		type: 'string',
		default: DEFAULT_LINK_TEMPLATE,
		description: 'Address of the button: {school} {lesson_id} {answer_id} {training_id} {user_id}',
		displayOptions,
	},
];

export function readLessonLink(ctx: IExecuteFunctions): LinkSettings {
	return {
		schoolAddress: checkSchoolAddress(String(ctx.getNodeParameter('schoolAddress', 0, ''))),
		linkTemplate: checkLinkTemplate(String(ctx.getNodeParameter('linkTemplate', 0, DEFAULT_LINK_TEMPLATE))),
	};
}
