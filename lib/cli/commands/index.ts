import type { Command } from '../context';
import { backupCommand } from './backup';
import { check } from './check';
import { cleanup } from './cleanup';
import { close } from './close';
import { exportCommand } from './export';
import { importCommand } from './import';
import { init } from './init';
import { report } from './report';
import { restoreCommand } from './restore';
import { retry } from './retry';
import { stats } from './stats';

/** Every command of `getcourse-bot`, in the order the usage text lists them. */
export const COMMANDS: Record<string, Command> = { init, stats, cleanup, retry, import: importCommand, export: exportCommand, close, check, report, backup: backupCommand, restore: restoreCommand };
