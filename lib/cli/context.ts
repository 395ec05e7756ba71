import type { PgSettings } from '../config';
import type { Db } from '../db/pool';
import type { ArgsSpec, ParsedArgs } from './args';

/** What every command gets: its parsed arguments, the settings from the environment and the pooled database. */
export interface CommandContext {
	args: ParsedArgs;
	settings: PgSettings;
	db: Db;
}

export interface Command {
	/** The usage text: "name [options]  what it does" (more lines indented). */
	usage: string;
	/** Every flag and positional argument the command takes: anything else is refused (exit 2). */
	spec: ArgsSpec;
	run(ctx: CommandContext): Promise<number>;
}
