import { Type } from 'typebox';
import { DateTime, SelfLinks } from './common.js';

export const PackageRecord = Type.Object(
  {
    version: Type.String({ examples: ['9.16.1'] }),
    create_time: Type.Optional(DateTime('When the package was loaded into the repository')),
    file_name: Type.Optional(Type.String({ description: 'Returned when asked for in fields' })),
    size: Type.Optional(Type.Integer({ description: 'Bytes; returned when asked for in fields' })),
    sha256: Type.Optional(
      Type.String({ description: 'Hex SHA-256 of the file; returned when asked for in fields' }),
    ),
    source_url: Type.Optional(
      Type.String({
        description: 'Origin without credentials or query; absent for uploads; returned when asked for',
      }),
    ),
    _links: SelfLinks,
  },
  { description: 'A package in the cluster package repository' },
);
