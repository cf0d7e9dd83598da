import type { ResourceFields } from './query/field-spec.js';
import type { ParamSpec } from './query/param-values.js';
import type { QueryTarget } from './query/index.js';

type Schema = Record<string, unknown>;

function paramSchema(spec: ParamSpec): Schema {
  switch (spec.type) {
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer', minimum: spec.min, maximum: spec.max };
    case 'enum':
      return { type: 'string', enum: [...spec.values] };
    case 'string':
      return { type: 'string' };
  }
}

function filterParams(fields: ResourceFields, prefix = ''): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const [name, f] of Object.entries(fields)) {
    const full = prefix + name;
    if (f.type === 'object') Object.assign(out, filterParams(f.children ?? {}, `${full}.`));
    else
      out[full] = {
        type: 'string',
        description: `Filter by ${full} (ONTAP query syntax: * | ! < > .. null)`,
      };
  }
  return out;
}

/** The query parameters a route takes (§2.5), as a JSON schema for the OpenAPI document. */
export function globalParamsDoc(
  target: QueryTarget,
  extra: Readonly<Record<string, ParamSpec>>,
  jobBacked: boolean,
  fields: ResourceFields = {},
): Schema {
  const props: Record<string, Schema> = {};
  if (target !== 'action') {
    props.fields = { type: 'string', description: 'Fields to return: *, **, a.b, a.{b,c}, !a' };
    props.ignore_unknown_fields = { type: 'boolean', default: false };
    props.return_timeout = { type: 'integer', minimum: 0, maximum: 120, default: 15 };
  }
  if (target === 'collection') {
    Object.assign(props, filterParams(fields));
    props.max_records = { type: 'integer', minimum: 1, description: 'Records per page (at most 10000)' };
    props.offset = { type: 'integer', minimum: 0 };
    props.order_by = { type: 'string', description: 'field [asc|desc], ...' };
    props.return_records = { type: 'boolean', default: true };
  }
  if (target === 'action' && jobBacked) {
    props.return_timeout = {
      type: 'integer',
      minimum: 0,
      maximum: 120,
      default: 0,
      description: 'Seconds to wait for the job before answering 202',
    };
  }
  for (const [name, spec] of Object.entries(extra)) props[name] = paramSchema(spec);
  props.pretty = { type: 'boolean', default: false };
  return { type: 'object', properties: props };
}
