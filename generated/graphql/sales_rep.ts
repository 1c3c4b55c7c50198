/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** A floating point number that requires more precision than IEEE 754 binary 64 */
  BigFloat: { input: string; output: string; }
  /**
   * A signed eight-byte integer. The upper big integer values are greater than the
   * max value for a JavaScript number. Therefore all big integers will be output as
   * strings and not numbers.
   */
  BigInt: { input: string; output: string; }
  /** A location in a connection that can be used for resuming pagination. */
  Cursor: { input: string; output: string; }
  /**
   * A point in time as described by the [ISO
   * 8601](https://en.wikipedia.org/wiki/ISO_8601) and, if it has a timezone, [RFC
   * 3339](https://datatracker.ietf.org/doc/html/rfc3339) standards. Input values
   * that do not conform to both ISO 8601 and RFC 3339 may be coerced, which may lead
   * to unexpected results.
   */
  Datetime: { input: string; output: string; }
  /** Represents JSON values as specified by [ECMA-404](http://www.ecma-international.org/publications/files/ECMA-ST/ECMA-404.pdf). */
  JSON: { input: unknown; output: unknown; }
};

/** All input for the `claimCustomer` mutation. */
export type ClaimCustomerInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  rowId?: InputMaybe<Scalars['BigInt']['input']>;
};

/** A condition to be used against `Contact` object types. All fields are tested for equality and combined with a logical ‘and.’ */
export type ContactCondition = {
  /** Checks for equality with the object’s `customerId` field. */
  customerId?: InputMaybe<Scalars['BigInt']['input']>;
  /** Checks for equality with the object’s `rowId` field. */
  rowId?: InputMaybe<Scalars['BigInt']['input']>;
};

/** An input for mutations affecting `Contact` */
export type ContactInput = {
  customerId: Scalars['BigInt']['input'];
  email?: InputMaybe<Scalars['String']['input']>;
  fullName: Scalars['String']['input'];
  idNumber?: InputMaybe<Scalars['String']['input']>;
  phone?: InputMaybe<Scalars['String']['input']>;
};

/** Methods to use when ordering `Contact`. */
export type ContactOrderBy =
  | 'CUSTOMER_ID_ASC'
  | 'CUSTOMER_ID_DESC'
  | 'NATURAL'
  | 'PRIMARY_KEY_ASC'
  | 'PRIMARY_KEY_DESC'
  | 'ROW_ID_ASC'
  | 'ROW_ID_DESC';

/** Represents an update to a `Contact`. Fields that are set will be updated. */
export type ContactPatch = {
  email?: InputMaybe<Scalars['String']['input']>;
  fullName?: InputMaybe<Scalars['String']['input']>;
  idNumber?: InputMaybe<Scalars['String']['input']>;
  phone?: InputMaybe<Scalars['String']['input']>;
};

/**
 * A condition to be used against `Contract` object types. All fields are tested
 * for equality and combined with a logical ‘and.’
 */
export type ContractCondition = {
  /** Checks for equality with the object’s `customerId` field. */
  customerId?: InputMaybe<Scalars['BigInt']['input']>;
  /** Checks for equality with the object’s `rowId` field. */
  rowId?: InputMaybe<Scalars['BigInt']['input']>;
  /** Checks for equality with the object’s `stage` field. */
  stage?: InputMaybe<Scalars['String']['input']>;
};

/** Methods to use when ordering `Contract`. */
export type ContractOrderBy =
  | 'CUSTOMER_ID_ASC'
  | 'CUSTOMER_ID_DESC'
  | 'NATURAL'
  | 'PRIMARY_KEY_ASC'
  | 'PRIMARY_KEY_DESC'
  | 'ROW_ID_ASC'
  | 'ROW_ID_DESC'
  | 'STAGE_ASC'
  | 'STAGE_DESC';

/** Represents an update to a `Contract`. Fields that are set will be updated. */
export type ContractPatch = {
  /** Editable by the owning rep only while the contract is a draft. */
  amount?: InputMaybe<Scalars['BigFloat']['input']>;
};

/** All input for the create `Contact` mutation. */
export type CreateContactInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** The `Contact` to be created by this mutation. */
  contact: ContactInput;
};

/** All input for the create `Customer` mutation. */
export type CreateCustomerInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** The `Customer` to be created by this mutation. */
  customer: CustomerInput;
};

/** All input for the create `FollowUp` mutation. */
export type CreateFollowUpInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** The `FollowUp` to be created by this mutation. */
  followUp: FollowUpInput;
};

/** All input for the create `Quote` mutation. */
export type CreateQuoteInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** The `Quote` to be created by this mutation. */
  quote: QuoteInput;
};

/**
 * A condition to be used against `Customer` object types. All fields are tested
 * for equality and combined with a logical ‘and.’
 */
export type CustomerCondition = {
  /** Checks for equality with the object’s `ownerId` field. */
  ownerId?: InputMaybe<Scalars['BigInt']['input']>;
  /** Checks for equality with the object’s `rowId` field. */
  rowId?: InputMaybe<Scalars['BigInt']['input']>;
  /** Checks for equality with the object’s `stage` field. */
  stage?: InputMaybe<Scalars['String']['input']>;
  /** Checks for equality with the object’s `unitId` field. */
  unitId?: InputMaybe<Scalars['BigInt']['input']>;
};

/** An input for mutations affecting `Customer` */
export type CustomerInput = {
  /** Marketing may export the customer (de-identified) only when true. */
  consentMarketing?: InputMaybe<Scalars['Boolean']['input']>;
  industry?: InputMaybe<Scalars['String']['input']>;
  lastContactedAt?: InputMaybe<Scalars['Datetime']['input']>;
  name: Scalars['String']['input'];
  /** Owning sales rep; NULL means the customer is in the public pool. */
  ownerId?: InputMaybe<Scalars['BigInt']['input']>;
  region?: InputMaybe<Scalars['String']['input']>;
  stage?: InputMaybe<Scalars['String']['input']>;
  /** Unit the customer belongs to; unit scopes (supervisor, manager) follow it. */
  unitId: Scalars['BigInt']['input'];
};

/** Methods to use when ordering `Customer`. */
export type CustomerOrderBy =
  | 'NATURAL'
  | 'OWNER_ID_ASC'
  | 'OWNER_ID_DESC'
  | 'PRIMARY_KEY_ASC'
  | 'PRIMARY_KEY_DESC'
  | 'ROW_ID_ASC'
  | 'ROW_ID_DESC'
  | 'STAGE_ASC'
  | 'STAGE_DESC'
  | 'UNIT_ID_ASC'
  | 'UNIT_ID_DESC';

/** Represents an update to a `Customer`. Fields that are set will be updated. */
export type CustomerPatch = {
  /** Marketing may export the customer (de-identified) only when true. */
  consentMarketing?: InputMaybe<Scalars['Boolean']['input']>;
  industry?: InputMaybe<Scalars['String']['input']>;
  lastContactedAt?: InputMaybe<Scalars['Datetime']['input']>;
  name?: InputMaybe<Scalars['String']['input']>;
  region?: InputMaybe<Scalars['String']['input']>;
  stage?: InputMaybe<Scalars['String']['input']>;
};

/**
 * A condition to be used against `FollowUp` object types. All fields are tested
 * for equality and combined with a logical ‘and.’
 */
export type FollowUpCondition = {
  /** Checks for equality with the object’s `authorId` field. */
  authorId?: InputMaybe<Scalars['BigInt']['input']>;
  /** Checks for equality with the object’s `customerId` field. */
  customerId?: InputMaybe<Scalars['BigInt']['input']>;
  /** Checks for equality with the object’s `rowId` field. */
  rowId?: InputMaybe<Scalars['BigInt']['input']>;
};

/** An input for mutations affecting `FollowUp` */
export type FollowUpInput = {
  authorId: Scalars['BigInt']['input'];
  body: Scalars['String']['input'];
  customerId: Scalars['BigInt']['input'];
};

/** Methods to use when ordering `FollowUp`. */
export type FollowUpOrderBy =
  | 'AUTHOR_ID_ASC'
  | 'AUTHOR_ID_DESC'
  | 'CUSTOMER_ID_ASC'
  | 'CUSTOMER_ID_DESC'
  | 'NATURAL'
  | 'PRIMARY_KEY_ASC'
  | 'PRIMARY_KEY_DESC'
  | 'ROW_ID_ASC'
  | 'ROW_ID_DESC';

/** A condition to be used against `Quote` object types. All fields are tested for equality and combined with a logical ‘and.’ */
export type QuoteCondition = {
  /** Checks for equality with the object’s `approvedBy` field. */
  approvedBy?: InputMaybe<Scalars['BigInt']['input']>;
  /** Checks for equality with the object’s `customerId` field. */
  customerId?: InputMaybe<Scalars['BigInt']['input']>;
  /** Checks for equality with the object’s `rowId` field. */
  rowId?: InputMaybe<Scalars['BigInt']['input']>;
};

/** An input for mutations affecting `Quote` */
export type QuoteInput = {
  amount: Scalars['BigFloat']['input'];
  customerId: Scalars['BigInt']['input'];
  status?: InputMaybe<Scalars['String']['input']>;
};

/** Methods to use when ordering `Quote`. */
export type QuoteOrderBy =
  | 'APPROVED_BY_ASC'
  | 'APPROVED_BY_DESC'
  | 'CUSTOMER_ID_ASC'
  | 'CUSTOMER_ID_DESC'
  | 'NATURAL'
  | 'PRIMARY_KEY_ASC'
  | 'PRIMARY_KEY_DESC'
  | 'ROW_ID_ASC'
  | 'ROW_ID_DESC';

/** Represents an update to a `Quote`. Fields that are set will be updated. */
export type QuotePatch = {
  amount?: InputMaybe<Scalars['BigFloat']['input']>;
  status?: InputMaybe<Scalars['String']['input']>;
};

/** All input for the `releaseCustomer` mutation. */
export type ReleaseCustomerInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  rowId?: InputMaybe<Scalars['BigInt']['input']>;
};

/** All input for the `requestContractAmount` mutation. */
export type RequestContractAmountInput = {
  amount?: InputMaybe<Scalars['BigFloat']['input']>;
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  reason?: InputMaybe<Scalars['String']['input']>;
  rowId?: InputMaybe<Scalars['BigInt']['input']>;
};

/** All input for the `requestCustomerDelete` mutation. */
export type RequestCustomerDeleteInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  reason?: InputMaybe<Scalars['String']['input']>;
  rowId?: InputMaybe<Scalars['BigInt']['input']>;
};

/** All input for the `requestCustomerTransfer` mutation. */
export type RequestCustomerTransferInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  ownerId?: InputMaybe<Scalars['BigInt']['input']>;
  reason?: InputMaybe<Scalars['String']['input']>;
  rowId?: InputMaybe<Scalars['BigInt']['input']>;
};

/** All input for the `requestQuoteApproval` mutation. */
export type RequestQuoteApprovalInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  reason?: InputMaybe<Scalars['String']['input']>;
  rowId?: InputMaybe<Scalars['BigInt']['input']>;
};

/**
 * A condition to be used against `ServiceTicket` object types. All fields are
 * tested for equality and combined with a logical ‘and.’
 */
export type ServiceTicketCondition = {
  /** Checks for equality with the object’s `customerId` field. */
  customerId?: InputMaybe<Scalars['BigInt']['input']>;
  /** Checks for equality with the object’s `rowId` field. */
  rowId?: InputMaybe<Scalars['BigInt']['input']>;
};

/** Methods to use when ordering `ServiceTicket`. */
export type ServiceTicketOrderBy =
  | 'CUSTOMER_ID_ASC'
  | 'CUSTOMER_ID_DESC'
  | 'NATURAL'
  | 'PRIMARY_KEY_ASC'
  | 'PRIMARY_KEY_DESC'
  | 'ROW_ID_ASC'
  | 'ROW_ID_DESC';

/** All input for the `updateContactByRowId` mutation. */
export type UpdateContactByRowIdInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** An object where the defined keys will be set on the `Contact` being updated. */
  contactPatch: ContactPatch;
  rowId: Scalars['BigInt']['input'];
};

/** All input for the `updateContact` mutation. */
export type UpdateContactInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** An object where the defined keys will be set on the `Contact` being updated. */
  contactPatch: ContactPatch;
  /** The globally unique `ID` which will identify a single `Contact` to be updated. */
  id: Scalars['ID']['input'];
};

/** All input for the `updateContractByRowId` mutation. */
export type UpdateContractByRowIdInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** An object where the defined keys will be set on the `Contract` being updated. */
  contractPatch: ContractPatch;
  rowId: Scalars['BigInt']['input'];
};

/** All input for the `updateContract` mutation. */
export type UpdateContractInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** An object where the defined keys will be set on the `Contract` being updated. */
  contractPatch: ContractPatch;
  /** The globally unique `ID` which will identify a single `Contract` to be updated. */
  id: Scalars['ID']['input'];
};

/** All input for the `updateCustomerByRowId` mutation. */
export type UpdateCustomerByRowIdInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** An object where the defined keys will be set on the `Customer` being updated. */
  customerPatch: CustomerPatch;
  rowId: Scalars['BigInt']['input'];
};

/** All input for the `updateCustomer` mutation. */
export type UpdateCustomerInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** An object where the defined keys will be set on the `Customer` being updated. */
  customerPatch: CustomerPatch;
  /** The globally unique `ID` which will identify a single `Customer` to be updated. */
  id: Scalars['ID']['input'];
};

/** All input for the `updateQuoteByRowId` mutation. */
export type UpdateQuoteByRowIdInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** An object where the defined keys will be set on the `Quote` being updated. */
  quotePatch: QuotePatch;
  rowId: Scalars['BigInt']['input'];
};

/** All input for the `updateQuote` mutation. */
export type UpdateQuoteInput = {
  /**
   * An arbitrary string value with no semantic meaning. Will be included in the
   * payload verbatim. May be used to track mutations by the client.
   */
  clientMutationId?: InputMaybe<Scalars['String']['input']>;
  /** The globally unique `ID` which will identify a single `Quote` to be updated. */
  id: Scalars['ID']['input'];
  /** An object where the defined keys will be set on the `Quote` being updated. */
  quotePatch: QuotePatch;
};

export type RepCustomersQueryVariables = Exact<{
  first?: number | null | undefined;
}>;


export type RepCustomersQuery = { allCustomers: { totalCount: number, nodes: Array<{ rowId: string, name: string, industry: string | null, stage: string, tier: string, ownerId: string | null, lastContactedAt: string | null } | null> } | null };


export const RepCustomersDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"RepCustomers"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}},"defaultValue":{"kind":"IntValue","value":"50"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"allCustomers"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"orderBy"},"value":{"kind":"EnumValue","value":"ROW_ID_ASC"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"rowId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"industry"}},{"kind":"Field","name":{"kind":"Name","value":"stage"}},{"kind":"Field","name":{"kind":"Name","value":"tier"}},{"kind":"Field","name":{"kind":"Name","value":"ownerId"}},{"kind":"Field","name":{"kind":"Name","value":"lastContactedAt"}}]}}]}}]}}]} as unknown as DocumentNode<RepCustomersQuery, RepCustomersQueryVariables>;