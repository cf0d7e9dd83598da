/** Result tables: printed to the terminal and, with --write-docs, written to docs/performance.md. */

export interface Check {
  readonly name: string;
  readonly target: string;
  readonly value: string;
  /** null: not applicable / could not be measured. */
  readonly pass: boolean | null;
}

export interface Table {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

export interface Section {
  readonly id: string;
  readonly title: string;
  /** Peer tools and origins used, fallbacks, parameters. */
  readonly setup: readonly string[];
  readonly tables: readonly Table[];
  readonly checks: readonly Check[];
  readonly notes: readonly string[];
}

export function markdownTable(table: Table): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(table.headers), line(table.headers.map(() => '---')), ...table.rows.map(line)].join('\n');
}

export function checksTable(checks: readonly Check[]): Table {
  return {
    headers: ['check', 'target', 'measured', 'result'],
    rows: checks.map((c) => [c.name, c.target, c.value, c.pass === null ? 'n/a' : c.pass ? 'PASS' : 'FAIL']),
  };
}

export function sectionMarkdown(section: Section): string {
  const parts = [`## ${section.title}`, ''];
  if (section.setup.length > 0) parts.push(...section.setup.map((s) => `- ${s}`), '');
  for (const t of section.tables) parts.push(markdownTable(t), '');
  if (section.checks.length > 0) parts.push(markdownTable(checksTable(section.checks)), '');
  if (section.notes.length > 0) parts.push(...section.notes.map((n) => `- ${n}`), '');
  return parts.join('\n');
}

/** Plain-text rendering for the terminal: the same markdown tables, which read well in a terminal too. */
export function printSection(section: Section): void {
  process.stdout.write(`\n${sectionMarkdown(section)}\n`);
}

export function failedSection(id: string, title: string, err: unknown): Section {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return {
    id,
    title,
    setup: [],
    tables: [],
    checks: [{ name: 'scenario ran', target: 'completes', value: message.split('\n')[0] ?? 'error', pass: false }],
    notes: [`The scenario failed: ${message.split('\n').slice(0, 3).join(' / ')}`],
  };
}
