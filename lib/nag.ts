import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Flattens a resolved CloudFormation value the way cdk-nag names wildcard findings
 * (`{ Ref: X }` → `<X>`, `Fn::GetAtt` → `<X.Attr>`, `Fn::Join` joined), so an acknowledgement
 * can name exactly one finding whatever the stack's environment and logical IDs are.
 */
function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const value = node as Record<string, unknown>;
  if (Array.isArray(value['Fn::Join'])) {
    const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (value['Fn::Sub'] !== undefined) return flatten(value['Fn::Sub']);
  if (Array.isArray(value['Fn::GetAtt'])) {
    const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (value['Fn::ImportValue'] !== undefined) return flatten(value['Fn::ImportValue']);
  if (value['Ref'] !== undefined) return `<${flatten(value['Ref'])}>`;
  return JSON.stringify(node);
}

/** Acknowledges cdk-nag's AwsSolutions-IAM5 finding for one wildcard resource of `scope`'s policies. */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const id = `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;
  Validations.of(scope).acknowledge({ id, reason });
}
