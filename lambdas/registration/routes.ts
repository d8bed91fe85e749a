import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export type AuditedAction = 'add_key' | 'remove_key' | 'revoke_name' | 'restore_name' | 'revoke_certificate' | 'change_access';

export interface RouteResult {
  readonly response: APIGatewayProxyResult;
  readonly audit?: {
    readonly action: AuditedAction;
    readonly keyName?: string;
    readonly kid?: string;
    readonly certificate?: { readonly issuer: string; readonly serialNumber: string };
    /** false: an idempotent repeat that changed nothing (logged, not counted as a change). */
    readonly changed?: boolean;
  };
}

export type Route = (event: APIGatewayProxyEvent) => Promise<RouteResult>;

/** Routes by API Gateway resource, then by method. */
export type RouteTable = Readonly<Record<string, Readonly<Record<string, Route>>>>;
