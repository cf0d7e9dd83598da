import { Type, type TSchema } from 'typebox';

export const Href = Type.Object({
  href: Type.String({ examples: ['/api/cluster/jobs/f587d316-5feb-11e8-b0e0-005056956dfc'] }),
});
export const SelfLinks = Type.Object({ self: Href });
export const CollectionLinks = Type.Object({ self: Href, next: Type.Optional(Href) });

/** ONTAP date-time (D3): ISO-8601 with a numeric offset, no fractional seconds. */
export const DateTime = (description: string): TSchema =>
  Type.String({ format: 'date-time', description, examples: ['2025-03-28T14:02:11+00:00'] });

export const ErrorEnvelope = Type.Object(
  {
    error: Type.Object({
      message: Type.String(),
      code: Type.String({ description: 'ONTAP error code, a numeric string; see docs/errors.md' }),
      target: Type.Optional(Type.String()),
    }),
  },
  { description: 'ONTAP error envelope' },
);

export const JobLink = Type.Object(
  {
    job: Type.Object({
      uuid: Type.String({ format: 'uuid' }),
      _links: SelfLinks,
    }),
  },
  { description: 'Link to the job that carries out the operation' },
);

export const EmptyObject = Type.Object({}, { description: 'Empty success body' });

export function collectionOf(record: TSchema, name: string): TSchema {
  return Type.Object(
    {
      records: Type.Array(record),
      num_records: Type.Integer({
        description: 'Records in this response (total matches with return_records=false)',
      }),
      _links: CollectionLinks,
    },
    { description: `Collection of ${name} records` },
  );
}
