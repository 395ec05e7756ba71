import {
	NodeConnectionTypes,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { withTransaction } from '../../lib/db/pool';
import { resolveMentors } from '../../lib/resolve/resolveMentors';
import { credentialTestMethods, dbFor } from '../shared/database';
import { batchFailure } from '../shared/errors';

export class GetCourseResolveMentor implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Resolve Mentor',
		name: 'getCourseResolveMentor',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		usableAsTool: true,
		group: ['transform'],
		version: 1,
		subtitle: '={{"up to " + $parameter["batchSize"] + " events"}}',
		description: 'Claim unprocessed GetCourse events and find the mentor mapped to each student at the event date',
		defaults: { name: 'GetCourse Resolve Mentor' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'getCourseBotPostgres', required: true, testedBy: 'getCourseBotPostgresTest' }],
		properties: [
			{
				displayName:
					'Runs once per execution, whatever its input. Outputs one item per resolved event (event, student, mentor, training, lesson); events without a mentor get an error_message and an error_logs row.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Batch Size',
				name: 'batchSize',
				type: 'number',
				default: 100,
				typeOptions: { minValue: 1, maxValue: 10000 },
				description: 'Most events claimed per execution',
			},
			{
				displayName: 'Max Attempts',
				name: 'maxAttempts',
				type: 'number',
				default: 5,
				typeOptions: { minValue: 1 },
				description: 'Whether an unresolved event is tried again: after this many attempts it is given up and marked processed with its error',
			},
			{
				displayName: 'Retry Delay (Seconds)',
				name: 'retryDelaySeconds',
				type: 'number',
				default: 600,
				typeOptions: { minValue: 0 },
				description: 'Wait before an unresolved event is tried again, so staff can add the missing reference data',
			},
			{
				displayName: 'Lease (Seconds)',
				name: 'leaseSeconds',
				type: 'number',
				default: 300,
				typeOptions: { minValue: 10 },
				description: 'How long claimed events stay reserved for Create Notification; if the workflow stops before that, they are claimed again',
			},
		],
	};

	methods = credentialTestMethods;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		try {
			const opts = {
				batchSize: this.getNodeParameter('batchSize', 0, 100) as number,
				maxAttempts: this.getNodeParameter('maxAttempts', 0, 5) as number,
				retryDelaySeconds: this.getNodeParameter('retryDelaySeconds', 0, 600) as number,
				leaseSeconds: this.getNodeParameter('leaseSeconds', 0, 300) as number,
			};
			const db = await dbFor(this);
			const { resolved } = await withTransaction(db, (c) => resolveMentors(c, opts));
			return [resolved.map((r) => ({ json: r as unknown as IDataObject, pairedItem: { item: 0 } }))];
		} catch (err) {
			return batchFailure(this, err, 1);
		}
	}
}
