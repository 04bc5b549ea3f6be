// The OVSDB schema JSON shape (RFC 7047 section 3.2, with OVS's extensions) as the generated metadata uses it.
// Hand-written, not generated: every generated database file checks its metadata against these types with
// `satisfies`, so the client and replica can read column types, indexes and isRoot without the .ovsschema file.

/** An atomic type name. */
export type AtomicTypeName = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';

/** An enum as the schema writes it: a single atom, or `["set", [atoms...]]`. */
export type EnumJson = string | number | boolean | readonly ['set', readonly (string | number | boolean)[]];

/** `<base-type>`: an atomic type name, or an object with constraints. */
export type BaseTypeJson =
  | AtomicTypeName
  | {
      readonly type: AtomicTypeName;
      readonly enum?: EnumJson;
      readonly minInteger?: number;
      readonly maxInteger?: number;
      readonly minReal?: number;
      readonly maxReal?: number;
      readonly minLength?: number;
      readonly maxLength?: number;
      readonly refTable?: string;
      readonly refType?: 'strong' | 'weak';
    };

/** `<type>`: an atomic type name, or key (+ value for a map) with min/max cardinality. */
export type ColumnTypeJson =
  | AtomicTypeName
  | {
      readonly key: BaseTypeJson;
      readonly value?: BaseTypeJson;
      readonly min?: number;
      readonly max?: number | 'unlimited';
    };

export interface ColumnSchemaJson {
  readonly type: ColumnTypeJson;
  readonly ephemeral?: boolean;
  readonly mutable?: boolean;
}

/**
 * `<table-schema>`. In the generated metadata `indexes` is always present (`[]` when the schema has none) and
 * `isRoot` is always the effective value: RFC 7047 / OVS treat every table as a root table when no table of the
 * schema says `isRoot`, otherwise an omitted `isRoot` means false.
 */
export interface TableSchemaJson {
  readonly columns: { readonly [column: string]: ColumnSchemaJson };
  readonly indexes: readonly (readonly string[])[];
  readonly isRoot: boolean;
  readonly maxRows?: number;
}

export interface DatabaseSchemaJson {
  readonly name: string;
  readonly version: string;
  readonly cksum?: string;
  readonly tables: { readonly [table: string]: TableSchemaJson };
}
