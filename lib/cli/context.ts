import type { PgSettings } from '../config';
import type { Db } from '../db/pool';

/** What every command gets: its arguments, the settings from the environment and the pooled database. */
export interface CommandContext {
	args: string[];
	settings: PgSettings;
	db: Db;
}

export interface Command {
	/** One line for the usage text: "name [options]  what it does". */
	usage: string;
	run(ctx: CommandContext): Promise<number>;
}

/** Reads `--name N` as a whole number ≥ 0, or the fallback when absent. */
export function numberFlag(args: string[], name: string, fallback: number, what = 'a whole number'): number {
	const i = args.indexOf(name);
	if (i < 0) return fallback;
	const v = Number(args[i + 1]);
	if (!Number.isInteger(v) || v < 0) throw new Error(`${name} needs ${what}, got ${JSON.stringify(args[i + 1])}`);
	return v;
}

/** Reads `--name value`, or undefined when absent. */
export function stringFlag(args: string[], name: string): string | undefined {
	const i = args.indexOf(name);
	if (i < 0) return undefined;
	const v = args[i + 1];
	if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
	return v;
}
