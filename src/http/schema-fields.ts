import type { FieldSpec, ResourceFields } from './query/field-spec.js';

interface JsonSchema {
  type?: string;
  format?: string;
  enum?: readonly string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}

function toSpec(schema: JsonSchema): FieldSpec {
  if (schema.enum !== undefined) return { type: 'enum', values: schema.enum };
  switch (schema.type) {
    case 'integer':
    case 'number':
      return { type: 'integer' };
    case 'boolean':
      return { type: 'boolean' };
    case 'string':
      return schema.format === 'date-time' ? { type: 'datetime' } : { type: 'string' };
    case 'array': {
      const inner = toSpec(schema.items ?? {});
      return { ...inner, array: true };
    }
    case 'object':
      return { type: 'object', children: fieldsOf(schema) };
    default:
      return { type: 'string' };
  }
}

/**
 * The query layer's field description, derived from a record's response schema, so a resource declares its
 * shape once: `fields`, filters and `order_by` accept exactly the names the schema documents.
 */
export function fieldsOf(schema: unknown): ResourceFields {
  const props = (schema as JsonSchema).properties ?? {};
  const out: Record<string, FieldSpec> = {};
  for (const [name, prop] of Object.entries(props)) {
    if (name === '_links') continue;
    out[name] = toSpec(prop);
  }
  return out;
}
