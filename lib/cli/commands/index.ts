import type { Command } from '../context';
import { backupCommand } from './backup';
import { check } from './check';
import { cleanup } from './cleanup';
import { exportCommand } from './export';
import { importCommand } from './import';
import { init } from './init';
import { restoreCommand } from './restore';
import { retry } from './retry';
import { stats } from './stats';

/** Every command of `getcourse-bot`, in the order the usage text lists them. */
export const COMMANDS: Record<string, Command> = { init, stats, cleanup, retry, import: importCommand, export: exportCommand, check, backup: backupCommand, restore: restoreCommand };
