import {
	NodeConnectionTypes,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { DEFAULT_FIELDS, type FieldMap } from '../../lib/payload/fields';
import { storeEvents } from '../../lib/store/storeEvents';
import { withClient } from '../../lib/db/pool';
import { credentialTestMethods, dbFor } from '../shared/database';
import { batchFailure } from '../shared/errors';
import { readTimeZone, timeZoneProperty } from '../shared/timeZone';

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
];

export class GetCourseStoreEvent implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Store Event',
		name: 'getCourseStoreEvent',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		usableAsTool: true,
		group: ['transform'],
		version: 1,
		subtitle: '={{"statuses: " + $parameter["notifyStatuses"]}}',
		description: 'Validate a GetCourse webhook and store it once in webhook_events',
		defaults: { name: 'GetCourse Store Event' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'getCourseBotPostgres', required: true, testedBy: 'getCourseBotPostgresTest' }],
		properties: [
			{
				displayName:
					'Connect after a Webhook trigger. Each output item has "status" (stored, duplicate, invalid, unauthorized) and "httpStatus" for a Respond to Webhook node.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			timeZoneProperty,
			{
				displayName: 'Notify On Statuses',
				name: 'notifyStatuses',
				type: 'string',
				default: 'new',
				description:
					'Comma-separated answer statuses that should notify the mentor; answers with other statuses are stored as already processed',
			},
			{
				displayName: 'Shared Secret',
				name: 'sharedSecret',
				type: 'string',
				typeOptions: { password: true },
				default: '',
				description:
					'When set, each call must carry it as the "secret" query parameter or the X-GetCourse-Secret header; leave empty to accept every call',
			},
			{
				displayName: 'Parameter Names',
				name: 'fields',
				type: 'collection',
				placeholder: 'Add Parameter Name',
				default: {},
				description: 'Names of the parameters in your GetCourse process "call URL" (Tech API events need none)',
				options: fieldOptions.map((f) => ({
					displayName: f.label,
					name: f.name,
					type: 'string' as const,
					default: DEFAULT_FIELDS[f.name],
				})),
			},
		],
	};

	methods = credentialTestMethods;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		try {
			const timeZone = readTimeZone(this);
			const notifyStatuses = String(this.getNodeParameter('notifyStatuses', 0, 'new')).split(',');
			const sharedSecret = String(this.getNodeParameter('sharedSecret', 0, ''));
			const fields = this.getNodeParameter('fields', 0, {}) as Partial<FieldMap>;
			const db = await dbFor(this);
			const outcomes = await withClient(db, (c) =>
				storeEvents(
					c,
					items.map((i) => i.json as Record<string, unknown>),
					{ timeZone, notifyStatuses, sharedSecret, fields },
				),
			);
			return [outcomes.map((o, i) => ({ json: o as unknown as IDataObject, pairedItem: { item: i } }))];
		} catch (err) {
			return batchFailure(this, err, items.length);
		}
	}
}
