import { parseCommandArgs } from '../client/args.js';
import { CLIENT_OPTIONS, CONNECTION_HELP } from '../client/connection.js';
import { cellText, formatFields, formatTable } from '../client/format.js';
import { isRecord } from '../client/rest-client.js';
import { runClient } from '../client/run.js';
import { EXIT_OK, UsageError, type CliIo } from '../io.js';

export const CLUSTER_HELP = `Usage: clusterimage cluster show [options]

Shows the cluster's name, its version and its nodes (GET /api/cluster and /api/cluster/software).

Options:
${CONNECTION_HELP}

Example:
  clusterimage cluster show --url https://ontap-sim:8443 --insecure
`;

export async function clusterCommand(argv: string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === undefined || subcommand === '-h' || subcommand === '--help' || subcommand === 'help') {
    io.out(CLUSTER_HELP);
    return subcommand === undefined ? 2 : EXIT_OK;
  }
  if (subcommand !== 'show') throw new UsageError(`unknown cluster command "${subcommand}"`, 'cluster');
  const { values, positionals } = parseCommandArgs(rest, CLIENT_OPTIONS, 'cluster show');
  if (values.help === true) {
    io.out(CLUSTER_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 0) throw new UsageError('cluster show takes no arguments', 'cluster show');
  return runClient(io, values, async (run) => {
    const cluster = (await run.client.get('/api/cluster')).body;
    const software = (await run.client.get('/api/cluster/software?fields=version,pending_version,state,nodes')).body;
    const nodes = Array.isArray(software.nodes) ? software.nodes.filter(isRecord) : [];
    if (run.json) {
      const { _links: _ignored, nodes: _nodes, ...softwareFields } = software;
      run.printJson({ name: cluster.name, uuid: cluster.uuid, version: cluster.version, software: softwareFields, nodes });
      return EXIT_OK;
    }
    const version = isRecord(cluster.version) ? cluster.version : {};
    const pairs: [string, string][] = [
      ['Cluster Name', cellText(cluster.name)],
      ['Cluster UUID', cellText(cluster.uuid)],
      ['Version', cellText(software.version)],
      ['Release', cellText(version.full)],
      ['Update State', cellText(software.state)],
    ];
    if (software.pending_version !== undefined) pairs.push(['Pending Version', cellText(software.pending_version)]);
    io.out(formatFields(pairs));
    io.out('\n');
    io.out(formatTable(['Node', 'Model', 'Version'], nodes.map((n) => [n.name, n.model, n.version].map(cellText))));
    return EXIT_OK;
  });
}
