import {
	NodeConnectionTypes,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import { cleanupLogs } from '../../lib/db/logs';
import { withClient } from '../../lib/db/pool';
import { collectStats } from '../../lib/db/stats';
import { credentialTestMethods, dbFor } from '../shared/database';
import { batchFailure } from '../shared/errors';

export class GetCourseMaintenance implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'GetCourse Maintenance',
		name: 'getCourseMaintenance',
		icon: { light: 'file:../../icons/getcourse.svg', dark: 'file:../../icons/getcourse.dark.svg' },
		usableAsTool: true,
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"]}}',
		description: 'Clean up old GetCourse Bot logs or report the backlog',
		defaults: { name: 'GetCourse Maintenance' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'getCourseBotPostgres', required: true, testedBy: 'getCourseBotPostgresTest' }],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Clean Up Logs',
						value: 'cleanup',
						description: 'Delete old application_logs and error_logs rows',
						action: 'Clean up logs',
					},
					{
						name: 'Backlog Stats',
						value: 'stats',
						description: 'Pending webhooks, notifications by status and table sizes',
						action: 'Get backlog stats',
					},
				],
				default: 'cleanup',
			},
			{
				displayName: 'Keep Application Logs (Days)',
				name: 'applicationLogDays',
				type: 'number',
				default: 30,
				typeOptions: { minValue: 0 },
				displayOptions: { show: { operation: ['cleanup'] } },
			},
			{
				displayName: 'Keep Error Logs (Days)',
				name: 'errorLogDays',
				type: 'number',
				default: 90,
				typeOptions: { minValue: 0 },
				displayOptions: { show: { operation: ['cleanup'] } },
			},
		],
	};

	methods = credentialTestMethods;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		try {
			const operation = this.getNodeParameter('operation', 0) as string;
			const db = await dbFor(this);
			if (operation === 'stats') {
				const stats = await withClient(db, (c) => collectStats(c, db.settings.schema));
				return [[{ json: stats as unknown as IDataObject, pairedItem: { item: 0 } }]];
			}
			const appDays = this.getNodeParameter('applicationLogDays', 0, 30) as number;
			const errorDays = this.getNodeParameter('errorLogDays', 0, 90) as number;
			const deleted = await withClient(db, (c) => cleanupLogs(c, appDays, errorDays));
			return [[{ json: { deleted, applicationLogDays: appDays, errorLogDays: errorDays }, pairedItem: { item: 0 } }]];
		} catch (err) {
			return batchFailure(this, err, 1);
		}
	}
}
