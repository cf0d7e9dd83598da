import { parseArgs } from 'node:util';
import { SqliteUserStore } from '../../adapters/storage/sqlite/sqlite-user-store.js';
import { isValidUserName, UserService } from '../../core/services/auth-service.js';
import type { Role } from '../../core/ports/user-store.js';
import { openDatabase } from '../../server.js';
import { mkdirSync } from 'node:fs';
import { EXIT_FAILED, EXIT_OK, readStdinLine, UsageError, type CliIo } from '../io.js';

export const USER_HELP = `Usage: clusterimage user <add|list|delete|passwd> [NAME] [options]

Manages the API users stored in the data folder (works while the server runs).

  user add NAME --role admin|readonly --password-stdin   create a user
  user list                                              list users and roles
  user delete NAME                                       delete a user
  user passwd NAME --password-stdin                      set a new password

Options:
  --data-dir DIR      data folder (default ./data; env CLUSTERIMAGE_DATA_DIR)
  --role ROLE         admin (everything) or readonly (GET only)
  --password-stdin    read the password from the first line of standard input
  --json              machine-readable output
  -h, --help          show this help

Example:
  echo 's3cret' | clusterimage user add ops --role readonly --password-stdin --data-dir ./data
`;

export async function userCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'data-dir': { type: 'string' },
      role: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help === true || positionals.length === 0) {
    io.out(USER_HELP);
    return values.help === true ? EXIT_OK : 2;
  }
  const [action, name] = positionals;
  const dataDir = values['data-dir'] ?? io.env.CLUSTERIMAGE_DATA_DIR ?? './data';
  const needName = (): string => {
    if (name === undefined) throw new UsageError(`user ${action ?? ''}: NAME is required`);
    if (!isValidUserName(name))
      throw new UsageError(`invalid user name "${name}" (letters, digits, . _ -; at most 64)`);
    return name;
  };
  const readPassword = async (): Promise<string> => {
    if (values['password-stdin'] !== true)
      throw new UsageError('--password-stdin is required (the password is read from standard input)');
    const pw = await readStdinLine(io.stdin);
    if (pw === '') throw new UsageError('the password read from standard input is empty');
    return pw;
  };
  if (!['add', 'list', 'delete', 'passwd'].includes(action ?? ''))
    throw new UsageError(`unknown user action "${action ?? ''}"`);
  let role: Role | undefined;
  let password = '';
  let userName = '';
  if (action === 'add') {
    userName = needName();
    if (values.role !== 'admin' && values.role !== 'readonly')
      throw new UsageError('--role must be admin or readonly');
    role = values.role;
    password = await readPassword();
  } else if (action === 'passwd') {
    userName = needName();
    password = await readPassword();
  } else if (action === 'delete') {
    userName = needName();
  }
  mkdirSync(dataDir, { recursive: true });
  const database = openDatabase(dataDir);
  try {
    const users = new UserService(new SqliteUserStore(database));
    switch (action) {
      case 'add':
        if (!(await users.add(userName, role ?? 'readonly', password))) {
          io.err(`user "${userName}" already exists\n`);
          return EXIT_FAILED;
        }
        io.out(
          values.json === true
            ? `${JSON.stringify({ name: userName, role })}\n`
            : `added user "${userName}" (${role ?? ''})\n`,
        );
        return EXIT_OK;
      case 'passwd':
        if (!(await users.setPassword(userName, password))) {
          io.err(`no user "${userName}"\n`);
          return EXIT_FAILED;
        }
        io.out(
          values.json === true
            ? `${JSON.stringify({ name: userName })}\n`
            : `password of "${userName}" changed\n`,
        );
        return EXIT_OK;
      case 'delete':
        if (!(await users.remove(userName))) {
          io.err(`no user "${userName}"\n`);
          return EXIT_FAILED;
        }
        io.out(
          values.json === true ? `${JSON.stringify({ name: userName })}\n` : `deleted user "${userName}"\n`,
        );
        return EXIT_OK;
      default: {
        const list = await users.list();
        if (values.json === true) io.out(`${JSON.stringify(list)}\n`);
        else {
          io.out(`${'NAME'.padEnd(24)} ROLE\n`);
          for (const u of list) io.out(`${u.name.padEnd(24)} ${u.role}\n`);
        }
        return EXIT_OK;
      }
    }
  } finally {
    database.close();
  }
}
