import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { Db } from '../../../lib/db/pool';
import { checkChatId } from '../../../lib/review/settings';

/** One operation of GetCourse Review Clock: its parameters and what it does (one run, one output item). */
export interface ReviewOperation {
	properties: INodeProperties[];
	execute(ctx: IExecuteFunctions, db: Db): Promise<{ json: IDataObject; counts: Record<string, number> }>;
}

export const show = (...operation: string[]) => ({ show: { operation } });

export function readStaffChat(ctx: IExecuteFunctions): string {
	return checkChatId(String(ctx.getNodeParameter('staffChatId', 0, '')), 'Staff Chat ID');
}
